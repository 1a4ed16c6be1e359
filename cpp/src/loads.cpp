#include "eplb/loads.hpp"

#include <algorithm>
#include <string>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"
#include "json_util.hpp"

namespace eplb {
namespace {

using nlohmann::json;
std::string str(int64_t v) { return std::to_string(v); }

// A [layers][experts] matrix of non-negative finite numbers; `what` names it in messages.
xt::xtensor<double, 2> to_matrix(const json& m, const std::string& what) {
    if (!m.is_array()) throw InvalidInput(what + " must be an array of layers, each an array of expert loads");
    const int64_t L = int64_t(m.size());
    if (L == 0) throw InvalidInput(what + " has no layers");
    if (L > limits::max_layers)
        throw LimitExceeded(what + " has " + str(L) + " layers, beyond the limit of " + str(limits::max_layers));
    if (!m[0].is_array()) throw InvalidInput(what + ": layer 0 is not an array of expert loads");
    const int64_t E = int64_t(m[0].size());
    if (E == 0) throw InvalidInput(what + ": layer 0 has no experts");
    if (E > limits::max_experts)
        throw LimitExceeded(what + " has " + str(E) + " experts, beyond the limit of " + str(limits::max_experts));
    auto w = xt::xtensor<double, 2>::from_shape({size_t(L), size_t(E)});
    for (int64_t l = 0; l < L; ++l) {
        const json& row = m[size_t(l)];
        if (!row.is_array()) throw InvalidInput(what + ": layer " + str(l) + " is not an array of expert loads");
        if (int64_t(row.size()) != E)
            throw InvalidInput(what + " is ragged: layer " + str(l) + " has " + str(int64_t(row.size())) +
                               " experts, layer 0 has " + str(E));
        for (int64_t e = 0; e < E; ++e) {
            const json& v = row[size_t(e)];
            if (!v.is_number())
                throw InvalidInput(what + ": load of layer " + str(l) + ", expert " + str(e) + " is " +
                                   std::string(v.type_name()) + ", not a number");
            const double d = v.get<double>();
            if (d < 0)
                throw InvalidInput(what + ": load of layer " + str(l) + ", expert " + str(e) + " is negative (" +
                                   v.dump() + ")");
            if (d > limits::max_load)
                throw LimitExceeded(what + ": load of layer " + str(l) + ", expert " + str(e) + " (" + v.dump() +
                                    ") exceeds the limit of 1e30");
            w(size_t(l), size_t(e)) = d;
        }
    }
    return w;
}

std::vector<xt::xtensor<double, 2>> history_steps(const json& h) {
    if (!h.is_array() || h.empty()) throw InvalidInput("load_history must be a non-empty array of steps");
    std::vector<xt::xtensor<double, 2>> steps;
    for (size_t i = 0; i < h.size(); ++i) {
        const std::string what = "load_history[" + str(int64_t(i)) + "]";
        const json& step = h[i];
        const json* m = &step;
        if (step.is_object()) {
            auto it = step.find("logical_expert_load");
            if (it == step.end()) throw InvalidInput(what + " has no 'logical_expert_load'");
            m = &*it;
        }
        steps.push_back(to_matrix(*m, what));
        if (steps.back().shape() != steps.front().shape())
            throw InvalidInput(what + " is " + str(int64_t(steps.back().shape(0))) + "x" +
                               str(int64_t(steps.back().shape(1))) + ", load_history[0] is " +
                               str(int64_t(steps.front().shape(0))) + "x" + str(int64_t(steps.front().shape(1))));
    }
    return steps;
}

void read_topology_keys(const json& obj, LoadFile& f) {
    auto get = [&](const char* key, std::optional<int64_t>& out) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return;
        out = detail::json_count(*it, key);
        if (*out <= 0) throw InvalidInput(std::string(key) + " (" + str(*out) + ") must be a positive integer");
    };
    get("num_replicas", f.replicas);
    get("num_groups", f.groups);
    get("num_nodes", f.nodes);
    get("num_gpus", f.gpus);
}

}  // namespace

std::string format_name(LoadFormat f) {
    switch (f) {
        case LoadFormat::matrix: return "matrix";
        case LoadFormat::weight: return "weight";
        case LoadFormat::logical_count: return "logical_count";
        case LoadFormat::load_history: return "load_history";
    }
    return "matrix";
}

std::vector<xt::xtensor<double, 2>> read_load_history(const std::string& text) {
    const json doc = detail::parse_json(text, "load file");
    auto it = doc.is_object() ? doc.find("load_history") : doc.end();
    if (!doc.is_object() || it == doc.end()) throw InvalidInput("the file has no 'load_history'");
    return history_steps(*it);
}

LoadFile read_loads(const std::string& text, const ReadOptions& options) {
    const json doc = detail::parse_json(text, "load file");
    LoadFile f;
    if (doc.is_array()) {
        f.format = LoadFormat::matrix;
        f.weights = to_matrix(doc, "load matrix");
    } else if (doc.is_object()) {
        if (doc.contains("weight")) {
            f.format = LoadFormat::weight;
            f.weights = to_matrix(doc["weight"], "'weight'");
        } else if (doc.contains("logical_count")) {
            f.format = LoadFormat::logical_count;
            f.weights = to_matrix(doc["logical_count"], "'logical_count'");
        } else if (doc.contains("load_history")) {
            f.format = LoadFormat::load_history;
            auto steps = history_steps(doc["load_history"]);
            const int64_t n = int64_t(steps.size());
            const int64_t end = options.window_end < 0 ? n : options.window_end;
            if (options.window_begin < 0 || options.window_begin >= end || end > n)
                throw InvalidInput("history window [" + str(options.window_begin) + ", " + str(end) +
                                   ") is not within the " + str(n) + " steps of load_history");
            f.weights = steps[size_t(options.window_begin)];
            for (int64_t i = options.window_begin + 1; i < end; ++i) f.weights += steps[size_t(i)];
            f.history_steps = n;
            if (options.steps_per_window > 0) {
                for (int64_t i = options.window_begin; i < end; i += options.steps_per_window) {
                    xt::xtensor<double, 2> w = steps[size_t(i)];
                    for (int64_t j = i + 1; j < std::min(end, i + options.steps_per_window); ++j) w += steps[size_t(j)];
                    f.windows.push_back(std::move(w));
                }
                if (int64_t(f.windows.size()) > limits::max_windows)
                    throw LimitExceeded("load_history cut into windows of " + str(options.steps_per_window) + " steps gives " +
                                        str(int64_t(f.windows.size())) + " windows, beyond the limit of " +
                                        str(limits::max_windows));
            }
        } else {
            std::string keys;
            for (auto it = doc.begin(); it != doc.end() && keys.size() < 60; ++it)
                keys += (keys.empty() ? "" : ", ") + it.key();
            throw InvalidInput("unrecognised load file: expected a matrix or an object with 'weight', "
                               "'logical_count' or 'load_history' (found keys: " +
                               (keys.empty() ? std::string("none") : keys) + ")");
        }
        read_topology_keys(doc, f);
    } else {
        throw InvalidInput("unrecognised load file: expected a JSON array or object, got " +
                           std::string(doc.type_name()));
    }
    if (f.format != LoadFormat::load_history &&
        (options.window_begin != 0 || options.window_end != -1 || options.steps_per_window != 0))
        throw InvalidInput("a window of steps applies to a load_history file; this is a '" + format_name(f.format) +
                           "' file");
    if (options.steps_per_window < 0)
        throw InvalidInput("steps per window (" + str(options.steps_per_window) + ") must be at least 1");
    f.file_layers = int64_t(f.weights.shape(0));
    const int64_t E = int64_t(f.weights.shape(1));
    for (int64_t l = 0; l < f.file_layers; ++l) {
        bool dense = true;
        for (int64_t e = 0; e < E && dense; ++e) dense = f.weights(size_t(l), size_t(e)) == 0;
        if (!(options.drop_dense_layers && dense)) f.kept_layers.push_back(l);
    }
    if (f.kept_layers.empty()) throw InvalidInput("every layer of the load file is all zero (dense)");
    if (int64_t(f.kept_layers.size()) != f.file_layers) {
        auto keep = [&](const xt::xtensor<double, 2>& m) {
            auto out = xt::xtensor<double, 2>::from_shape({f.kept_layers.size(), size_t(E)});
            for (size_t i = 0; i < f.kept_layers.size(); ++i)
                for (int64_t e = 0; e < E; ++e) out(i, size_t(e)) = m(size_t(f.kept_layers[i]), size_t(e));
            return out;
        };
        f.weights = keep(f.weights);
        for (auto& w : f.windows) w = keep(w);
    }
    return f;
}

LoadFile read_loads_file(const std::string& path, const ReadOptions& options) {
    return read_loads(detail::read_text_file(path), options);
}

}  // namespace eplb

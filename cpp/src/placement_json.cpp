#include "eplb/placement_json.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"
#include "json_util.hpp"

namespace eplb {
namespace {

using nlohmann::json;
std::string str(int64_t v) { return std::to_string(v); }

void append_row(std::string& s, const int32_t* v, int64_t n) {
    s += '[';
    for (int64_t i = 0; i < n; ++i) {
        if (i) s += ',';
        s += std::to_string(v[i]);
    }
    s += ']';
}

xt::xtensor<int32_t, 2> int_matrix(const json& m, const std::string& what) {
    if (!m.is_array() || m.empty() || !m[0].is_array() || m[0].empty())
        throw InvalidInput(what + " must be a non-empty array of non-empty arrays");
    const size_t L = m.size(), R = m[0].size();
    if (int64_t(L) * int64_t(R) > limits::max_placement_cells)
        throw LimitExceeded(what + " has " + str(int64_t(L * R)) + " cells, beyond the limit of " +
                            str(limits::max_placement_cells));
    auto out = xt::xtensor<int32_t, 2>::from_shape({L, R});
    for (size_t l = 0; l < L; ++l) {
        if (!m[l].is_array() || m[l].size() != R)
            throw InvalidInput(what + " is ragged: row " + str(int64_t(l)) + " differs in length from row 0");
        for (size_t s = 0; s < R; ++s) {
            const json& v = m[l][s];
            if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX)
                throw InvalidInput(what + "[" + str(int64_t(l)) + "][" + str(int64_t(s)) + "] is not an integer");
            out(l, s) = int32_t(v.get<int64_t>());
        }
    }
    return out;
}

}  // namespace

std::string placement_to_json(const Placement& p) {
    const int64_t L = p.layers(), R = p.replicas(), E = p.experts(), M = p.max_replicas();
    std::string s;
    s.reserve(size_t(L * (R * 4 + E * M * 4)) + 256);
    s += "{\"phy2log\":[";
    for (int64_t l = 0; l < L; ++l) {
        if (l) s += ',';
        append_row(s, p.phy2log.data() + l * R, R);
    }
    s += "],\"log2phy\":[";
    for (int64_t l = 0; l < L; ++l) {
        if (l) s += ',';
        s += '[';
        for (int64_t e = 0; e < E; ++e) {
            if (e) s += ',';
            append_row(s, p.log2phy.data() + (l * E + e) * M, M);
        }
        s += ']';
    }
    s += "],\"logcnt\":[";
    for (int64_t l = 0; l < L; ++l) {
        if (l) s += ',';
        append_row(s, p.logcnt.data() + l * E, E);
    }
    s += "],\"num_replicas\":" + str(p.topology.replicas) + ",\"num_groups\":" + str(p.topology.groups) +
         ",\"num_nodes\":" + str(p.topology.nodes) + ",\"num_gpus\":" + str(p.topology.gpus) +
         ",\"algorithm\":" + json(p.algorithm).dump();
    const std::vector<int64_t> failed = failed_gpus(p);
    if (!failed.empty()) {  // also read off phy2log's -1 slots; written for the reader's eye
        s += ",\"failed_gpus\":[";
        for (size_t i = 0; i < failed.size(); ++i) s += (i ? "," : "") + str(failed[i]);
        s += ']';
    }
    s += '}';
    return s;
}

Placement placement_from_json(const std::string& text, const Topology& fallback, int64_t experts) {
    const json doc = detail::parse_json(text, "placement file");
    if (!doc.is_object()) throw InvalidInput("a placement file must be a JSON object with 'phy2log'");
    const char* key = doc.contains("phy2log") ? "phy2log"
                      : doc.contains("physical_to_logical_map") ? "physical_to_logical_map"
                                                                : nullptr;
    if (!key) throw InvalidInput("the placement file has no 'phy2log' (nor 'physical_to_logical_map')");
    auto phy2log = int_matrix(doc[key], key);

    Topology t = fallback;
    auto get = [&](const char* k, int64_t& out) {
        auto it = doc.find(k);
        if (it != doc.end() && !it->is_null()) out = detail::json_count(*it, k);
    };
    get("num_groups", t.groups);
    get("num_nodes", t.nodes);
    get("num_gpus", t.gpus);
    t.replicas = int64_t(phy2log.shape(1));
    if (doc.contains("num_replicas") && detail::json_count(doc["num_replicas"], "num_replicas") != t.replicas)
        throw InvalidInput("num_replicas (" + doc["num_replicas"].dump() + ") differs from the width of " + key +
                           " (" + str(t.replicas) + ")");

    if (experts < 0 && doc.contains("logcnt") && doc["logcnt"].is_array() && !doc["logcnt"].empty() &&
        doc["logcnt"][0].is_array())
        experts = int64_t(doc["logcnt"][0].size());
    if (experts < 0) experts = int64_t(*std::max_element(phy2log.begin(), phy2log.end())) + 1;
    Placement p = placement_from_phy2log(phy2log, experts, t);
    if (auto it = doc.find("failed_gpus"); it != doc.end() && !it->is_null()) {
        std::vector<int64_t> listed;
        if (!it->is_array()) throw InvalidInput("failed_gpus must be an array of GPU indices");
        for (const json& g : *it) {
            if (!g.is_number_integer()) throw InvalidInput("failed_gpus holds a non-integer");
            listed.push_back(g.get<int64_t>());
        }
        std::sort(listed.begin(), listed.end());
        if (listed != failed_gpus(p))
            throw InvalidInput("failed_gpus disagrees with the -1 slots of " + std::string(key));
    }
    if (doc.contains("logcnt") && int_matrix(doc["logcnt"], "logcnt") != p.logcnt)
        throw InvalidInput("logcnt disagrees with phy2log");
    if (doc.contains("log2phy")) {
        // Rows are compared as sets: other tools order replicas differently and pad differently.
        const json& l2p = doc["log2phy"];
        if (!l2p.is_array() || int64_t(l2p.size()) != p.layers())
            throw InvalidInput("log2phy has a different number of layers than phy2log");
        for (int64_t l = 0; l < p.layers(); ++l) {
            if (!l2p[size_t(l)].is_array() || int64_t(l2p[size_t(l)].size()) != experts)
                throw InvalidInput("log2phy[" + str(l) + "] does not have one row per expert");
            for (int64_t e = 0; e < experts; ++e) {
                std::vector<int64_t> slots;
                for (const json& v : l2p[size_t(l)][size_t(e)]) {
                    if (!v.is_number_integer()) throw InvalidInput("log2phy holds a non-integer");
                    if (v.get<int64_t>() >= 0) slots.push_back(v.get<int64_t>());  // -1: padding
                }
                std::sort(slots.begin(), slots.end());
                bool same = int64_t(slots.size()) == p.logcnt(size_t(l), size_t(e));
                for (size_t k = 0; same && k < slots.size(); ++k)
                    same = slots[k] == p.log2phy(size_t(l), size_t(e), k);
                if (!same) throw InvalidInput("log2phy[" + str(l) + "][" + str(e) + "] disagrees with phy2log");
            }
        }
    }
    if (auto it = doc.find("algorithm"); it != doc.end() && it->is_string()) p.algorithm = it->get<std::string>();
    return p;
}

}  // namespace eplb

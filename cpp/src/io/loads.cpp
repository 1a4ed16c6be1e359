#include "eplb/loads.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"
#include "format.hpp"
#include "io/json_stream.hpp"

namespace eplb {
namespace {

using detail::Kind;
std::string str(int64_t v) { return std::to_string(v); }

// The keys of a load file's object that hold its loads; a file has exactly one.
const char* const kMainKeys[] = {"weight", "logical_count", "load_history"};
const char* const kTopologyKeys[] = {"num_replicas", "num_groups", "num_nodes", "num_gpus"};

// The whole file as JSON events. One matrix is read at a time, row by row, into a flat buffer:
// the file's matrix, or one step of a load_history, which is then added to the running sum and
// to its window before the next step is read.
class LoadsReader final : public detail::JsonEvents {
public:
    LoadsReader(const ReadOptions& o, bool keep_steps) : JsonEvents("load file"), opt_(o), keep_steps_(keep_steps) {}

    LoadFile finish();
    std::vector<xt::xtensor<double, 2>> take_steps() { return std::move(steps_); }

private:
    enum class Frame : uint8_t { top_object, history, step_object, matrix, row };
    // What the value after the last key is, in the top object or in a step object.
    enum class Next : uint8_t { skip, matrix, history, topology, step_matrix };

    void on_scalar(Kind kind, double v) override;
    void on_string(const std::string& s) override;
    void on_open(Kind kind) override;
    void on_close() override;
    void on_key(const std::string& key) override;
    void on_skipped() override {
        if (!misplaced_.empty()) throw InvalidInput(misplaced_);
    }

    // The matrix being read: into `m_` (the file's matrix, or the current step).
    void begin_matrix(Kind kind, std::string what);
    void open_row(Kind kind);
    void add_load(Kind kind, double v);
    void close_row();
    void close_matrix();
    void step_done();
    [[noreturn]] void not_a_matrix(const std::string& what) const {
        throw InvalidInput(what + " must be an array of layers, each an array of expert loads");
    }
    void set_topology(Kind kind, double v, const std::string* text);
    std::string step_name() const { return "load_history[" + str(steps_seen_) + "]"; }

    const ReadOptions& opt_;
    const bool keep_steps_;
    std::vector<Frame> frames_;
    Next next_ = Next::skip;
    int topology_key_ = -1;

    LoadFormat format_ = LoadFormat::matrix;
    int main_key_ = -1;  // index into kMainKeys, once seen
    std::string other_keys_;
    std::optional<int64_t> topology_[4];

    // The matrix being read.
    std::string what_;
    std::vector<double> m_;
    int64_t rows_ = 0, cols_ = -1, cur_ = 0;

    // load_history: the shape of step 0, the steps seen, the sum and the windows of those in
    // [window_begin, window_end).
    bool in_step_object_has_matrix_ = false;
    int64_t steps_seen_ = 0, L_ = 0, E_ = 0;
    std::vector<double> sum_;
    std::vector<std::vector<double>> windows_;
    std::vector<xt::xtensor<double, 2>> steps_;  // keep_steps_ only

    std::string misplaced_;  // a container where a load should be
    bool done_ = false;
};

void LoadsReader::on_key(const std::string& key) {
    next_ = Next::skip;
    if (frames_.back() == Frame::step_object) {
        if (key != "logical_expert_load") return;
        if (in_step_object_has_matrix_) throw InvalidInput(step_name() + " has 'logical_expert_load' twice");
        next_ = Next::step_matrix;
        return;
    }
    if (frames_.back() != Frame::top_object) return;
    for (int i = 0; i < 3; ++i) {
        if (key != kMainKeys[i]) continue;
        if (main_key_ == i) throw InvalidInput(std::string("the load file has '") + key + "' twice");
        if (main_key_ >= 0)
            throw InvalidInput(std::string("the load file has both '") + kMainKeys[main_key_] + "' and '" + key +
                               "': a load file holds one of 'weight', 'logical_count' or 'load_history'");
        main_key_ = i;
        format_ = i == 0 ? LoadFormat::weight : i == 1 ? LoadFormat::logical_count : LoadFormat::load_history;
        next_ = i == 2 ? Next::history : Next::matrix;
        return;
    }
    for (int i = 0; i < 4; ++i) {
        if (key != kTopologyKeys[i]) continue;
        if (topology_[i]) throw InvalidInput(std::string("the load file has '") + key + "' twice");
        topology_key_ = i;
        next_ = Next::topology;
        return;
    }
    if (other_keys_.size() < 60) other_keys_ += (other_keys_.empty() ? "" : ", ") + key;
}

void LoadsReader::on_scalar(Kind kind, double v) {
    if (frames_.empty())
        throw InvalidInput(std::string("unrecognised load file: expected a JSON array or object, got ") +
                           detail::kind_name(kind));
    switch (frames_.back()) {
        case Frame::row: add_load(kind, v); return;
        case Frame::matrix:
            throw InvalidInput(what_ + ": layer " + str(rows_) + " is not an array of expert loads");
        case Frame::history: not_a_matrix(step_name());
        case Frame::step_object:
            if (next_ == Next::step_matrix) not_a_matrix(step_name());
            return;
        case Frame::top_object:
            if (next_ == Next::topology) set_topology(kind, v, nullptr);
            else if (next_ == Next::matrix) not_a_matrix(std::string("'") + kMainKeys[main_key_] + "'");
            else if (next_ == Next::history) throw InvalidInput("load_history must be a non-empty array of steps");
            next_ = Next::skip;
            return;
    }
}

void LoadsReader::on_string(const std::string& s) {
    if (!frames_.empty() && frames_.back() == Frame::top_object && next_ == Next::topology) {
        set_topology(Kind::string, 0, &s);
        next_ = Next::skip;
        return;
    }
    on_scalar(Kind::string, 0);
}

void LoadsReader::set_topology(Kind kind, double v, const std::string* text) {
    const std::string key = kTopologyKeys[topology_key_];
    if (kind == Kind::null) return;  // as if absent
    if (kind == Kind::number && v == std::floor(v)) {
        if (std::fabs(v) >= 9.0e15) throw InvalidInput(key + " (" + detail::format_number(v) + ") is too large");
        if (v <= 0) throw InvalidInput(key + " (" + detail::format_number(v) + ") must be a positive integer");
        topology_[topology_key_] = int64_t(v);
        return;
    }
    std::string got = kind == Kind::number    ? detail::format_number(v)
                      : kind == Kind::boolean ? (v != 0 ? "true" : "false")
                      : kind == Kind::string  ? detail::quoted(*text)
                      : kind == Kind::array   ? "an array"
                                              : "an object";
    throw InvalidInput(key + " must be an integer (got " + got + ")");
}

void LoadsReader::on_open(Kind kind) {
    if (frames_.empty()) {
        if (kind == Kind::array) {
            format_ = LoadFormat::matrix;
            begin_matrix(kind, "load matrix");
        } else {
            frames_.push_back(Frame::top_object);
        }
        return;
    }
    switch (frames_.back()) {
        case Frame::row:
            // Named when the container ends: a nesting beyond the depth limit inside it is the
            // first thing wrong with such a file.
            misplaced_ = what_ + ": load of layer " + str(rows_) + ", expert " + str(cur_) + " is " +
                         detail::kind_name(kind) + ", not a number";
            skip_this();
            return;
        case Frame::matrix: open_row(kind); return;
        case Frame::history:
            if (kind == Kind::array) {
                begin_matrix(kind, step_name());
            } else {
                frames_.push_back(Frame::step_object);
                in_step_object_has_matrix_ = false;
                next_ = Next::skip;
            }
            return;
        case Frame::step_object:
            if (next_ == Next::step_matrix) begin_matrix(kind, step_name());
            else skip_this();
            return;
        case Frame::top_object:
            if (next_ == Next::matrix) {
                begin_matrix(kind, std::string("'") + kMainKeys[main_key_] + "'");
            } else if (next_ == Next::history) {
                if (kind != Kind::array) throw InvalidInput("load_history must be a non-empty array of steps");
                frames_.push_back(Frame::history);
            } else if (next_ == Next::topology) {
                set_topology(kind, 0, nullptr);
            } else {
                skip_this();
            }
            return;
    }
}

void LoadsReader::on_close() {
    const Frame f = frames_.back();
    frames_.pop_back();
    switch (f) {
        case Frame::row: close_row(); return;
        case Frame::matrix: close_matrix(); return;
        case Frame::history:
            if (steps_seen_ == 0) throw InvalidInput("load_history must be a non-empty array of steps");
            next_ = Next::skip;
            return;
        case Frame::step_object:
            if (!in_step_object_has_matrix_) throw InvalidInput(step_name() + " has no 'logical_expert_load'");
            step_done();
            return;
        case Frame::top_object:
            if (main_key_ < 0)
                throw InvalidInput("unrecognised load file: expected a matrix or an object with 'weight', "
                                   "'logical_count' or 'load_history' (found keys: " +
                                   (other_keys_.empty() ? std::string("none") : other_keys_) + ")");
            done_ = true;
            return;
    }
}

void LoadsReader::begin_matrix(Kind kind, std::string what) {
    what_ = std::move(what);
    if (kind != Kind::array) not_a_matrix(what_);
    frames_.push_back(Frame::matrix);
    m_.clear();
    rows_ = 0;
    cols_ = -1;
    if (format_ == LoadFormat::load_history && steps_seen_ > 0) m_.reserve(size_t(L_ * E_));
}

void LoadsReader::open_row(Kind kind) {
    if (kind != Kind::array) throw InvalidInput(what_ + ": layer " + str(rows_) + " is not an array of expert loads");
    if (rows_ >= limits::max_layers)
        throw LimitExceeded(what_ + " has more than " + str(limits::max_layers) + " layers, beyond the limit of " +
                            str(limits::max_layers));
    if (cols_ > 0 && (rows_ + 1) * cols_ > limits::max_file_matrix_cells)
        throw LimitExceeded(what_ + " has more than " + str(limits::max_file_matrix_cells) +
                            " loads (layers x experts), beyond the limit of " + str(limits::max_file_matrix_cells));
    frames_.push_back(Frame::row);
    cur_ = 0;
}

void LoadsReader::add_load(Kind kind, double v) {
    if (kind != Kind::number)
        throw InvalidInput(what_ + ": load of layer " + str(rows_) + ", expert " + str(cur_) + " is " +
                           detail::kind_name(kind) + ", not a number");
    if (v < 0)
        throw InvalidInput(what_ + ": load of layer " + str(rows_) + ", expert " + str(cur_) + " is negative (" +
                           detail::format_number(v) + ")");
    if (v > limits::max_load)
        throw LimitExceeded(what_ + ": load of layer " + str(rows_) + ", expert " + str(cur_) + " (" +
                            detail::format_number(v) + ") exceeds the limit of 1e30");
    if (rows_ == 0) {
        if (cur_ >= limits::max_experts)
            throw LimitExceeded(what_ + " has more than " + str(limits::max_experts) + " experts, beyond the limit of " +
                                str(limits::max_experts));
        m_.push_back(v + 0.0);  // -0 becomes 0
    } else if (cur_ < cols_) {
        m_.push_back(v + 0.0);
    }  // a longer row than layer 0 is counted, not kept: close_row names it
    cur_++;
}

void LoadsReader::close_row() {
    if (rows_ == 0) {
        if (cur_ == 0) throw InvalidInput(what_ + ": layer 0 has no experts");
        cols_ = cur_;
    } else if (cur_ != cols_) {
        throw InvalidInput(what_ + " is ragged: layer " + str(rows_) + " has " + str(cur_) + " experts, layer 0 has " +
                           str(cols_));
    }
    rows_++;
}

void LoadsReader::close_matrix() {
    if (rows_ == 0) throw InvalidInput(what_ + " has no layers");
    if (format_ != LoadFormat::load_history) {
        L_ = rows_;
        E_ = cols_;
        next_ = Next::skip;
        if (frames_.empty()) done_ = true;
        return;
    }
    if (!frames_.empty() && frames_.back() == Frame::step_object) {
        in_step_object_has_matrix_ = true;  // the step is done when its object closes
        next_ = Next::skip;
        return;
    }
    step_done();
}

void LoadsReader::step_done() {
    const int64_t i = steps_seen_;
    if (i == 0) {
        L_ = rows_;
        E_ = cols_;
    } else if (rows_ != L_ || cols_ != E_) {
        throw InvalidInput(step_name() + " is " + str(rows_) + "x" + str(cols_) + ", load_history[0] is " + str(L_) +
                           "x" + str(E_));
    }
    steps_seen_++;
    const int64_t cells = L_ * E_;
    if (keep_steps_) {
        if (int64_t(steps_.size() + 1) * cells > limits::max_history_cells)
            throw LimitExceeded("load_history has more than " + str(limits::max_history_cells) +
                                " loads (steps x layers x experts), beyond the limit of " +
                                str(limits::max_history_cells));
        auto s = xt::xtensor<double, 2>::from_shape({size_t(L_), size_t(E_)});
        std::copy(m_.begin(), m_.end(), s.data());
        steps_.push_back(std::move(s));
    }
    if (i < opt_.window_begin || (opt_.window_end >= 0 && i >= opt_.window_end)) return;
    if (sum_.empty()) {
        sum_ = m_;
    } else {
        for (int64_t c = 0; c < cells; ++c) sum_[size_t(c)] += m_[size_t(c)];
    }
    const int64_t K = opt_.steps_per_window;
    if (K <= 0) return;
    const size_t w = size_t((i - opt_.window_begin) / K);
    if (w < windows_.size()) {
        std::vector<double>& acc = windows_.back();
        for (int64_t c = 0; c < cells; ++c) acc[size_t(c)] += m_[size_t(c)];
        return;
    }
    const int64_t n = int64_t(windows_.size()) + 1;
    const std::string cut = "load_history cut into windows of " + str(K) + " step" + (K == 1 ? "" : "s") + " gives more than ";
    if (n > limits::max_windows)
        throw LimitExceeded(cut + str(limits::max_windows) + " windows, beyond the limit of " + str(limits::max_windows));
    if (n * cells > limits::max_history_cells)
        throw LimitExceeded(cut + str(n - 1) + " windows of " + str(L_) + " x " + str(E_) + " loads, beyond the limit of " +
                            str(limits::max_history_cells) + " loads (windows x layers x experts)");
    windows_.push_back(m_);
}

xt::xtensor<double, 2> to_tensor(const std::vector<double>& v, int64_t L, int64_t E) {
    auto t = xt::xtensor<double, 2>::from_shape({size_t(L), size_t(E)});
    std::copy(v.begin(), v.end(), t.data());
    return t;
}

LoadFile LoadsReader::finish() {
    if (!done_) throw InvalidInput("malformed JSON in load file: the text ends early");
    LoadFile f;
    f.format = format_;
    f.replicas = topology_[0];
    f.groups = topology_[1];
    f.nodes = topology_[2];
    f.gpus = topology_[3];
    if (format_ == LoadFormat::load_history) {
        const int64_t n = steps_seen_;
        const int64_t end = opt_.window_end < 0 ? n : opt_.window_end;
        if (opt_.window_begin < 0 || opt_.window_begin >= end || end > n)
            throw InvalidInput("history window [" + str(opt_.window_begin) + ", " + str(end) +
                               ") is not within the " + str(n) + " steps of load_history");
        f.weights = to_tensor(sum_, L_, E_);
        f.history_steps = n;
        for (const auto& w : windows_) f.windows.push_back(to_tensor(w, L_, E_));
    } else {
        f.weights = to_tensor(m_, L_, E_);
    }
    return f;
}

// What the reader's result is turned into, whatever the source: the window checks and the
// dense layers.
LoadFile finish(LoadsReader& reader, const ReadOptions& options) {
    LoadFile f = reader.finish();
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

void check_options(const ReadOptions& options) {
    if (options.window_begin < 0)
        throw InvalidInput("history window begin (" + str(options.window_begin) + ") must not be negative");
    if (options.steps_per_window < 0)
        throw InvalidInput("steps per window (" + str(options.steps_per_window) + ") must be at least 1");
}

void check_text_size(const std::string& text) {
    if (int64_t(text.size()) > limits::max_file_bytes)
        throw LimitExceeded("load file is " + str(int64_t(text.size())) + " bytes, beyond the limit of " +
                            str(limits::max_file_bytes));
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
    check_text_size(text);
    ReadOptions o;
    LoadsReader reader(o, true);
    detail::parse_json_text(reader, text.data(), text.size());
    const LoadFile f = reader.finish();
    if (f.format != LoadFormat::load_history) throw InvalidInput("the file has no 'load_history'");
    return reader.take_steps();
}

LoadFile read_loads(const std::string& text, const ReadOptions& options) {
    check_text_size(text);
    check_options(options);
    LoadsReader reader(options, false);
    detail::parse_json_text(reader, text.data(), text.size());
    return finish(reader, options);
}

LoadFile read_loads_stream(const ByteReader& read, const ReadOptions& options) {
    check_options(options);
    LoadsReader reader(options, false);
    detail::ChunkSource source(read, "load file");
    detail::parse_json_stream(reader, source);
    return finish(reader, options);
}

LoadFile read_loads_file(const std::string& path, const ReadOptions& options) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw InvalidInput("cannot open file '" + path + "'");
    const std::streamoff size = in.tellg();
    if (size < 0) throw InvalidInput("cannot read file '" + path + "'");
    if (int64_t(size) > limits::max_file_bytes)
        throw LimitExceeded("file '" + path + "' is " + str(int64_t(size)) + " bytes, beyond the limit of " +
                            str(limits::max_file_bytes));
    in.seekg(0);
    return read_loads_stream(
        [&](char* buffer, size_t capacity) {
            in.read(buffer, std::streamsize(capacity));
            if (in.bad()) throw InvalidInput("cannot read file '" + path + "'");
            return size_t(in.gcount());
        },
        options);
}

}  // namespace eplb

#include "eplb/placement_json.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"
#include "format.hpp"
#include "io/json_stream.hpp"

namespace eplb {
namespace {

using detail::Kind;
std::string str(int64_t v) { return std::to_string(v); }

void append_row(std::string& s, const int32_t* v, int64_t n) {
    s += '[';
    for (int64_t i = 0; i < n; ++i) {
        if (i) s += ',';
        s += std::to_string(v[i]);
    }
    s += ']';
}

// A placement file as JSON events: phy2log (or SGLang's physical_to_logical_map) and logcnt as
// flat int32 matrices, log2phy as the non-negative slots of each row (its padding dropped), the
// topology keys and the algorithm; anything else is skipped.
class PlacementReader final : public detail::JsonEvents {
public:
    PlacementReader() : JsonEvents("placement file") {}

    struct IntMatrix {
        std::vector<int32_t> v;
        int64_t rows = 0, cols = -1;
        bool present = false;
    };
    IntMatrix phy2log, logcnt;
    const char* phy2log_key = nullptr;
    // log2phy: for row r = (layer, expert), its slots are slots[row_start[r] .. row_start[r + 1]).
    bool has_log2phy = false;
    std::vector<int32_t> slots;
    std::vector<int64_t> row_start{0};
    std::vector<int64_t> layer_rows;  // rows of each layer
    std::optional<int64_t> groups, nodes, gpus, replicas;
    std::optional<std::string> algorithm;
    bool has_failed = false;  // failed_gpus: read off phy2log's -1 slots, and checked against them
    std::vector<int64_t> failed;
    bool done = false;

private:
    enum class Next : uint8_t { skip, phy2log, logcnt, log2phy, count, algorithm, failed };
    void on_key(const std::string& key) override {
        next_ = Next::skip;
        if (depth_ != 1) return;
        if (key == "phy2log" || key == "physical_to_logical_map") {
            if (phy2log_key)
                throw InvalidInput(std::string("the placement file has both '") + phy2log_key + "' and '" + key + "'");
            phy2log_key = key == "phy2log" ? "phy2log" : "physical_to_logical_map";
            next_ = Next::phy2log;
        } else if (key == "logcnt") {
            next_ = Next::logcnt;
        } else if (key == "log2phy") {
            next_ = Next::log2phy;
        } else if (key == "num_groups" || key == "num_nodes" || key == "num_gpus" || key == "num_replicas") {
            count_ = key == "num_groups" ? &groups : key == "num_nodes" ? &nodes : key == "num_gpus" ? &gpus : &replicas;
            count_key_ = key;
            next_ = Next::count;
        } else if (key == "algorithm") {
            next_ = Next::algorithm;
        } else if (key == "failed_gpus") {
            next_ = Next::failed;
        }
    }

    [[noreturn]] void not_a_matrix() const {
        throw InvalidInput(what_ + " must be a non-empty array of non-empty arrays");
    }

    void on_scalar(Kind kind, double v) override {
        if (depth_ == 0) throw InvalidInput("a placement file must be a JSON object with 'phy2log'");
        if (depth_ == 1) {
            if (next_ == Next::count) {
                if (kind == Kind::null) return;
                if (kind != Kind::number || v != std::floor(v) || std::fabs(v) >= 9.0e15)
                    throw InvalidInput(count_key_ + " must be an integer (got " +
                                       (kind == Kind::number ? detail::format_number(v) : std::string(detail::kind_name(kind))) + ")");
                *count_ = int64_t(v);
            } else if (next_ == Next::phy2log || next_ == Next::logcnt) {
                what_ = next_ == Next::phy2log ? phy2log_key : "logcnt";
                not_a_matrix();
            } else if (next_ == Next::log2phy) {
                throw InvalidInput("log2phy has a different number of layers than phy2log");
            } else if (next_ == Next::failed && kind != Kind::null) {
                throw InvalidInput("failed_gpus must be an array of GPU indices");
            }
            return;
        }
        if (target_ == Next::failed) {
            if (kind != Kind::number || !integer_token() || std::fabs(v) >= 9.0e15)
                throw InvalidInput("failed_gpus holds a non-integer");
            if (int64_t(failed.size()) >= limits::max_replicas)
                throw LimitExceeded("failed_gpus lists more than " + std::to_string(limits::max_replicas) +
                                    " GPUs, beyond the limit of " + std::to_string(limits::max_replicas));
            failed.push_back(int64_t(v));
            return;
        }
        if (target_ == Next::log2phy) {
            if (depth_ != 4) throw InvalidInput("log2phy must be an array of layers, each an array of rows of slots");
            if (kind != Kind::number || !integer_token()) throw InvalidInput("log2phy holds a non-integer");
            if (v >= 0) {
                if (int64_t(slots.size()) >= limits::max_placement_cells)
                    throw LimitExceeded("log2phy holds more than " + std::to_string(limits::max_placement_cells) +
                                        " slots, beyond the limit of " + std::to_string(limits::max_placement_cells));
                if (v > INT32_MAX) throw InvalidInput("log2phy holds a slot beyond the range of int32");
                slots.push_back(int32_t(v));
            }
            return;
        }
        // phy2log or logcnt
        if (depth_ != 3) not_a_matrix();
        if (kind != Kind::number || !integer_token() || v < INT32_MIN || v > INT32_MAX)
            throw InvalidInput(what_ + "[" + std::to_string(m_->rows) + "][" + std::to_string(cur_) + "] is not an integer");
        if (m_->rows == 0 || cur_ < m_->cols) {
            if (int64_t(m_->v.size()) >= limits::max_placement_cells)
                throw LimitExceeded(what_ + " has more than " + std::to_string(limits::max_placement_cells) +
                                    " cells, beyond the limit of " + std::to_string(limits::max_placement_cells));
            m_->v.push_back(int32_t(v));
        }
        cur_++;
    }
    void on_string(const std::string& s) override {
        if (depth_ == 1 && next_ == Next::algorithm) {
            algorithm = s;
            return;
        }
        if (depth_ == 1 && next_ == Next::count)
            throw InvalidInput(count_key_ + " must be an integer (got " + detail::quoted(s) + ")");
        on_scalar(Kind::string, 0);
    }

    void on_open(Kind kind) override {
        depth_++;
        if (depth_ == 1) {
            if (kind != Kind::object) throw InvalidInput("a placement file must be a JSON object with 'phy2log'");
            return;
        }
        if (depth_ == 2) {
            target_ = next_;
            switch (next_) {
                case Next::phy2log:
                case Next::logcnt:
                    m_ = next_ == Next::phy2log ? &phy2log : &logcnt;
                    what_ = next_ == Next::phy2log ? phy2log_key : "logcnt";
                    if (m_->present) throw InvalidInput("the placement file has '" + what_ + "' twice");
                    m_->present = true;
                    if (kind != Kind::array) not_a_matrix();
                    return;
                case Next::log2phy:
                    if (has_log2phy) throw InvalidInput("the placement file has 'log2phy' twice");
                    has_log2phy = true;
                    if (kind != Kind::array) throw InvalidInput("log2phy has a different number of layers than phy2log");
                    return;
                case Next::count:
                    throw InvalidInput(count_key_ + " must be an integer (got an " + detail::kind_name(kind) + ")");
                case Next::failed:
                    if (has_failed) throw InvalidInput("the placement file has 'failed_gpus' twice");
                    has_failed = true;
                    if (kind != Kind::array) throw InvalidInput("failed_gpus must be an array of GPU indices");
                    return;
                default:
                    depth_--;
                    skip_this();
                    return;
            }
        }
        if (target_ == Next::failed) throw InvalidInput("failed_gpus holds a non-integer");
        if (target_ == Next::log2phy) {
            if (kind != Kind::array || depth_ > 4)
                throw InvalidInput("log2phy must be an array of layers, each an array of rows of slots");
            if (depth_ == 3) layer_rows.push_back(0);
            if (depth_ == 4) layer_rows.back()++;
            return;
        }
        if (kind != Kind::array || depth_ > 3) {
            if (depth_ == 4)
                throw InvalidInput(what_ + "[" + std::to_string(m_->rows) + "][" + std::to_string(cur_) + "] is not an integer");
            not_a_matrix();
        }
        cur_ = 0;
    }

    void on_close() override {
        depth_--;
        if (depth_ == 0) {
            done = true;
            return;
        }
        if (target_ == Next::failed) return;
        if (target_ == Next::log2phy) {
            if (depth_ == 3) row_start.push_back(int64_t(slots.size()));
            return;
        }
        if (depth_ == 2) {  // a row of phy2log or logcnt
            if (cur_ == 0 && m_->rows == 0) not_a_matrix();
            if (m_->rows == 0) m_->cols = cur_;
            else if (cur_ != m_->cols)
                throw InvalidInput(what_ + " is ragged: row " + std::to_string(m_->rows) + " differs in length from row 0");
            m_->rows++;
        } else if (depth_ == 1 && m_ && m_->rows == 0) {
            not_a_matrix();
        }
    }

    int depth_ = 0;
    Next next_ = Next::skip, target_ = Next::skip;
    IntMatrix* m_ = nullptr;
    std::string what_;
    int64_t cur_ = 0;
    std::optional<int64_t>* count_ = nullptr;
    std::string count_key_;
};

Placement placement_from_reader(PlacementReader& r, const Topology& fallback, int64_t experts) {
    if (!r.phy2log_key) throw InvalidInput("the placement file has no 'phy2log' (nor 'physical_to_logical_map')");
    const char* key = r.phy2log_key;
    auto phy2log = xt::xtensor<int32_t, 2>::from_shape({size_t(r.phy2log.rows), size_t(r.phy2log.cols)});
    std::copy(r.phy2log.v.begin(), r.phy2log.v.end(), phy2log.data());
    r.phy2log.v = {};

    Topology t = fallback;
    if (r.groups) t.groups = *r.groups;
    if (r.nodes) t.nodes = *r.nodes;
    if (r.gpus) t.gpus = *r.gpus;
    t.replicas = int64_t(phy2log.shape(1));
    if (r.replicas && *r.replicas != t.replicas)
        throw InvalidInput("num_replicas (" + str(*r.replicas) + ") differs from the width of " + key + " (" +
                           str(t.replicas) + ")");
    if (experts < 0 && r.logcnt.present) experts = r.logcnt.cols;
    if (experts < 0) experts = int64_t(*std::max_element(phy2log.begin(), phy2log.end())) + 1;
    Placement p = placement_from_phy2log(std::move(phy2log), experts, t);
    if (r.has_failed) {
        std::sort(r.failed.begin(), r.failed.end());
        if (r.failed != failed_gpus(p))
            throw InvalidInput(std::string("failed_gpus disagrees with the -1 slots of ") + key);
    }
    if (r.logcnt.present) {
        const int64_t L = p.layers();
        bool same = r.logcnt.rows == L && r.logcnt.cols == experts;
        for (int64_t i = 0; same && i < L * experts; ++i) same = r.logcnt.v[size_t(i)] == p.logcnt.data()[i];
        if (!same) throw InvalidInput("logcnt disagrees with phy2log");
    }
    if (r.has_log2phy) {
        // Rows are compared as sets: other tools order replicas differently and pad differently.
        if (int64_t(r.layer_rows.size()) != p.layers())
            throw InvalidInput("log2phy has a different number of layers than phy2log");
        size_t row = 0;
        std::vector<int32_t> got;
        for (int64_t l = 0; l < p.layers(); ++l) {
            if (r.layer_rows[size_t(l)] != experts)
                throw InvalidInput("log2phy[" + str(l) + "] does not have one row per expert");
            for (int64_t e = 0; e < experts; ++e, ++row) {
                got.assign(r.slots.begin() + r.row_start[row], r.slots.begin() + r.row_start[row + 1]);
                std::sort(got.begin(), got.end());
                bool same = int64_t(got.size()) == p.logcnt(size_t(l), size_t(e));
                for (size_t k = 0; same && k < got.size(); ++k) same = got[k] == p.log2phy(size_t(l), size_t(e), k);
                if (!same) throw InvalidInput("log2phy[" + str(l) + "][" + str(e) + "] disagrees with phy2log");
            }
        }
    }
    if (r.algorithm) p.algorithm = *r.algorithm;
    return p;
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
         ",\"algorithm\":" + detail::quoted(p.algorithm, size_t(-1));
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
    if (int64_t(text.size()) > limits::max_file_bytes)
        throw LimitExceeded("placement file is " + str(int64_t(text.size())) + " bytes, beyond the limit of " +
                            str(limits::max_file_bytes));
    PlacementReader r;
    detail::parse_json_text(r, text.data(), text.size());
    return placement_from_reader(r, fallback, experts);
}

Placement placement_from_json_stream(const ByteReader& read, const Topology& fallback, int64_t experts) {
    PlacementReader r;
    detail::ChunkSource source(read, "placement file");
    detail::parse_json_stream(r, source);
    return placement_from_reader(r, fallback, experts);
}

}  // namespace eplb

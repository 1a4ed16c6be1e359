#include "layout.hpp"

#include <algorithm>
#include <numeric>

#include "eplb/error.hpp"
#include "eplb/evaluate.hpp"

namespace eplb::detail {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

// Steps of the branch and bound over group assignments (8 groups on 3 nodes: a few hundred).
constexpr int64_t kLayoutSearchSteps = 200000;
// Hybrid maps: a unit of load served away from home (per GPU) weighs this much against a unit of
// the level the nodes can be brought to (docs/failures.md: how it was chosen).
constexpr double kAwayWeight = 0.1;

std::string plural(int64_t n, const char* word) { return str(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

bool NodeLayout::equal_nodes() const {
    for (int32_t n = 1; n < nodes(); ++n)
        if (gpus_of(n) != gpus_of(0)) return false;
    return true;
}

LiveGpus::LiveGpus(const Topology& t, const std::vector<int64_t>& failed, int64_t experts) : full_(t) {
    const int64_t G = t.gpus, S = t.slots_per_gpu(), per_node = t.gpus_per_node();
    std::vector<char> dead(static_cast<size_t>(G), 0);
    for (int64_t g : failed) {
        if (g < 0 || g >= G) throw InvalidInput("failed GPU " + str(g) + " is not a GPU index in [0, " + str(G) + ")");
        if (dead[size_t(g)]) throw InvalidInput("failed GPU " + str(g) + " is listed twice");
        dead[size_t(g)] = 1;
    }
    for (int64_t g = 0; g < G; ++g)
        if (!dead[size_t(g)]) live_.push_back(int32_t(g));
    if (live_.empty())
        throw InvalidInput("every GPU (" + str(G) + " of " + str(G) + ") is failed: no GPU is left to place experts on");
    const int64_t live_slots = int64_t(live_.size()) * S;
    if (live_slots < experts)
        throw InvalidInput("the " + plural(int64_t(live_.size()), "live GPU") + (live_.size() == 1 ? " holds " : " hold ") + str(live_slots) +
                           " slots, fewer than the " + str(experts) + " experts (each needs a slot on a live GPU)");
    layout_.slots_per_gpu = int32_t(S);
    layout_.first_gpu.push_back(0);
    for (int64_t n = 0; n < t.nodes; ++n) {
        int32_t count = 0;
        for (int64_t g = n * per_node; g < (n + 1) * per_node; ++g) count += !dead[size_t(g)];
        if (!count) continue;
        layout_.first_gpu.push_back(layout_.first_gpu.back() + count);
        layout_.node_id.push_back(int32_t(n));
    }
}

Topology LiveGpus::compact(Policy policy) const {
    const int64_t G = int64_t(live_.size());
    return Topology{G * full_.slots_per_gpu(), full_.groups, policy == Policy::global ? 1 : layout_.nodes(), G};
}

void LiveGpus::expand(const int32_t* compact, int32_t* full) const {
    const int64_t S = full_.slots_per_gpu();
    std::fill(full, full + full_.replicas, -1);
    for (size_t k = 0; k < live_.size(); ++k) std::copy(compact + int64_t(k) * S, compact + int64_t(k + 1) * S, full + live_[k] * S);
}

void LiveGpus::compact_row(const int32_t* full, int32_t* compact) const {
    const int64_t S = full_.slots_per_gpu();
    for (size_t k = 0; k < live_.size(); ++k) std::copy(full + live_[k] * S, full + (live_[k] + 1) * S, compact + int64_t(k) * S);
}

std::vector<int32_t> group_capacity(const NodeLayout& layout, int32_t groups, int32_t group_size, Policy policy) {
    const int32_t N = layout.nodes();
    const std::string name = "policy '" + policy_name(policy) + "'";
    if (groups < N)
        throw InvalidInput(name + " needs at least as many groups (" + str(groups) + ") as nodes with live GPUs (" + str(N) +
                           "): every node holds whole groups");
    std::vector<int32_t> cap(static_cast<size_t>(N));
    int64_t room = 0;
    for (int32_t n = 0; n < N; ++n) room += cap[size_t(n)] = layout.slots_of(n) / group_size;
    if (policy == Policy::hierarchical) {
        std::string short_nodes;
        for (int32_t n = 0; n < N; ++n)
            if (cap[size_t(n)] == 0 || (room < groups && int64_t(cap[size_t(n)]) * N < groups))
                short_nodes += (short_nodes.empty() ? "" : "; ") + std::string("node ") + str(layout.node_id[size_t(n)]) +
                               ": " + str(layout.slots_of(n)) + " live slots, room for " + plural(cap[size_t(n)], "group");
        if (!short_nodes.empty())
            throw InvalidInput(name + ": the " + str(groups) + " groups of " + str(group_size) +
                               " experts do not fit on the nodes' live GPUs (" + short_nodes + "; " +
                               str(std::min<int64_t>(room, groups)) + " fit in all, and every node needs at least one); " +
                               "use policy 'hybrid' or 'global'");
        return cap;
    }
    // Hybrid: one group more than fits on the nodes with the most room left over, until all fit.
    for (int32_t n = 0; n < N; ++n)
        if (cap[size_t(n)] == 0) cap[size_t(n)] = 1, ++room;
    while (room < groups) {
        int32_t best = 0;
        auto left = [&](int32_t n) { return int64_t(layout.slots_of(n)) - int64_t(cap[size_t(n)]) * group_size; };
        for (int32_t n = 1; n < N; ++n)
            if (left(n) > left(best)) best = n;
        ++cap[size_t(best)], ++room;
    }
    return cap;
}

double LayoutGroups::score(const int32_t* node_of, double bound) {
    double top = 0;
    node_load_.assign(size_t(nodes_), 0.0);
    for (int32_t g = 0; g < groups_; ++g) node_load_[size_t(node_of[g])] += gw_[g];
    for (int32_t n = 0; n < nodes_; ++n) top = std::max(top, node_load_[size_t(n)] / double(layout_->gpus_of(n)));
    if (hybrid_) {
        free_.resize(size_t(nodes_));
        for (int32_t n = 0; n < nodes_; ++n) free_[size_t(n)] = layout_->slots_of(n);
        for (int32_t g = 0; g < groups_; ++g) free_[size_t(node_of[g])] -= group_size_;
        return hybrid_score(node_load_.data(), free_.data());
    }
    if (!w_ || !(top < bound)) return top;
    for (int32_t n = 0; n < nodes_; ++n) {
        local_.clear();
        for (int32_t g = 0; g < groups_; ++g)
            if (node_of[g] == n) local_.insert(local_.end(), w_ + int64_t(g) * group_size_, w_ + int64_t(g + 1) * group_size_);
        top = std::max(top, min_max_replica_load(local_.data(), int64_t(local_.size()), layout_->slots_of(n)));
        if (!(top < bound)) return top;
    }
    return top;
}

// A node above the target sheds its excess by serving it away (replicas of its experts on nodes
// with free slots, the load served away equal to what it sheds); nodes with free slots take it up
// to the target. The least common level t at which they can, and the load then served away;
// scored as t plus kAwayWeight times that load per GPU.
double LayoutGroups::hybrid_score(const double* load, const int32_t* free) const {
    auto gap = [&](double t) {  // room at level t, less the excess
        double room = 0;
        for (int32_t n = 0; n < nodes_; ++n) {
            const double d = t * double(layout_->gpus_of(n)) - load[n];
            room += d > 0 ? (free[n] > 0 ? d : 0.0) : d;
        }
        return room;
    };
    double lo = target_;
    if (gap(lo) < 0) {
        double hi = lo;
        for (int32_t n = 0; n < nodes_; ++n) hi = std::max(hi, load[n] / double(layout_->gpus_of(n)));
        for (int it = 0; it < 40; ++it) {
            const double mid = 0.5 * (lo + hi);
            (gap(mid) < 0 ? lo : hi) = mid;
        }
        lo = hi;
    }
    auto away_at = [&](double t) {
        double away = 0;
        for (int32_t n = 0; n < nodes_; ++n) away += std::max(0.0, load[n] - t * double(layout_->gpus_of(n)));
        return away;
    };
    // Past the away budget, the level rises until what must be served away fits in it.
    if (away_at(lo) > away_budget_) {
        double hi = lo;
        for (int32_t n = 0; n < nodes_; ++n) hi = std::max(hi, load[n] / double(layout_->gpus_of(n)));
        for (int it = 0; it < 40; ++it) {
            const double mid = 0.5 * (lo + hi);
            (away_at(mid) > away_budget_ ? lo : hi) = mid;
        }
        lo = hi;
    }
    return lo + kAwayWeight * away_at(lo) / double(layout_->gpus());
}

double LayoutGroups::partial_score() {
    free_.resize(size_t(nodes_));
    for (int32_t n = 0; n < nodes_; ++n) free_[size_t(n)] = layout_->slots_of(n) - fill_[size_t(n)] * group_size_;
    return hybrid_score(load_.data(), free_.data());
}

void LayoutGroups::search(int32_t k, int32_t empty, int32_t* node_of) {
    if (++steps_ > kLayoutSearchSteps) return;
    if (k == groups_) {
        for (int32_t i = 0; i < groups_; ++i) node_of[size_t(groups_) + size_t(order_[size_t(i)])] = cur_[size_t(i)];
        const double s = score(node_of + groups_, best_ - tol_);
        if (s < best_ - tol_) {
            best_ = s;
            std::copy(node_of + groups_, node_of + 2 * groups_, node_of);
        }
        return;
    }
    const int32_t g = order_[size_t(k)];
    const double w = gw_[g];
    const int32_t left = groups_ - k - 1;  // groups still to place after this one
    for (int32_t n = 0; n < nodes_; ++n) {
        if (fill_[size_t(n)] == cap_[n]) continue;
        const bool was_empty = fill_[size_t(n)] == 0;
        if (left < empty - int32_t(was_empty)) continue;  // empty nodes would be left without a group
        if (was_empty && empty_twin_[size_t(n)] >= 0 && fill_[size_t(empty_twin_[size_t(n)])] == 0) continue;
        const double l = (load_[size_t(n)] + w) / double(layout_->gpus_of(n));
        if (!hybrid_ && !(l < best_ - tol_)) continue;
        load_[size_t(n)] += w;
        ++fill_[size_t(n)];
        cur_[size_t(k)] = n;
        // The hybrid score of the groups placed so far bounds every completion (more load and
        // fewer free slots only raise it; its away term weighs less than its level).
        if (hybrid_ && !(partial_score() < best_ - tol_)) {
            --fill_[size_t(n)];
            load_[size_t(n)] -= w;
            continue;
        }
        search(k + 1, empty - int32_t(was_empty), node_of);
        --fill_[size_t(n)];
        load_[size_t(n)] -= w;
    }
}

void LayoutGroups::assign_hybrid(const double* gw, int32_t groups, int32_t group_size, const NodeLayout& layout,
                                 const int32_t* cap, double target, double away_budget, int32_t* node_of) {
    hybrid_ = true, target_ = target, away_budget_ = away_budget;
    assign(gw, groups, group_size, layout, cap, nullptr, node_of);
    hybrid_ = false;
}

void LayoutGroups::assign(const double* gw, int32_t groups, int32_t group_size, const NodeLayout& layout,
                          const int32_t* cap, const double* weights, int32_t* node_of) {
    gw_ = gw, w_ = weights, layout_ = &layout, cap_ = cap;
    groups_ = groups, group_size_ = group_size, nodes_ = layout.nodes();
    order_.resize(size_t(groups));
    std::iota(order_.begin(), order_.end(), 0);
    std::sort(order_.begin(), order_.end(), [gw](int32_t a, int32_t b) { return gw[a] > gw[b] || (gw[a] == gw[b] && a < b); });
    // Greedy start: heaviest group first, onto the node with room where its load per GPU ends
    // lowest (only empty nodes once the groups left are as many as they are).
    load_.assign(size_t(nodes_), 0.0);
    fill_.assign(size_t(nodes_), 0);
    int32_t empty = nodes_;
    double total = 0, fewest = 1e300;
    for (int32_t i = 0; i < groups; ++i) {
        const int32_t g = order_[size_t(i)];
        const bool must_fill = groups - i <= empty;
        int32_t best = -1;
        double best_l = 0;
        for (int32_t n = 0; n < nodes_; ++n) {
            if (fill_[size_t(n)] == cap[n] || (must_fill && fill_[size_t(n)] > 0)) continue;
            const double l = (load_[size_t(n)] + gw[g]) / double(layout.gpus_of(n));
            if (best < 0 || l < best_l) best = n, best_l = l;
        }
        node_of[g] = best;
        empty -= fill_[size_t(best)] == 0;
        ++fill_[size_t(best)];
        load_[size_t(best)] += gw[g];
        total += gw[g];
    }
    for (int32_t n = 0; n < nodes_; ++n) fewest = std::min(fewest, double(layout.gpus_of(n)));
    best_ = score(node_of, 1e300);
    if (!(total > 0) || nodes_ == 1) return;
    // Empty nodes of the same size and room are interchangeable: only the first is tried.
    empty_twin_.assign(size_t(nodes_), -1);
    for (int32_t n = 0; n < nodes_; ++n)
        for (int32_t m = n - 1; m >= 0 && empty_twin_[size_t(n)] < 0; --m)
            if (layout.gpus_of(m) == layout.gpus_of(n) && cap[m] == cap[n]) empty_twin_[size_t(n)] = m;
    tol_ = 1e-12 * total / fewest;
    steps_ = 0;
    load_.assign(size_t(nodes_), 0.0);
    fill_.assign(size_t(nodes_), 0);
    cur_.assign(size_t(groups), 0);
    // node_of[groups .. 2 groups) is scratch for the leaves: the caller's buffer is groups long,
    // so the search works on a buffer of its own and copies the best back.
    std::vector<int32_t> buf(size_t(2 * groups));
    std::copy(node_of, node_of + groups, buf.begin());
    search(0, nodes_, buf.data());
    std::copy(buf.begin(), buf.begin() + groups, node_of);
}

void foster_experts(const double* w, int32_t E, const NodeLayout& layout, int32_t* home) {
    const int32_t N = layout.nodes();
    std::vector<int32_t> held(static_cast<size_t>(N), 0);
    for (int32_t e = 0; e < E; ++e) ++held[size_t(home[e])];
    std::vector<int32_t> moving;
    for (int32_t n = 0; n < N; ++n) {
        const int32_t excess = held[size_t(n)] - layout.slots_of(n);
        if (excess <= 0) continue;
        std::vector<int32_t> mine;
        for (int32_t e = 0; e < E; ++e)
            if (home[e] == n) mine.push_back(e);
        // Lightest first (ties: the higher index): they serve the least load away from home.
        std::sort(mine.begin(), mine.end(), [w](int32_t a, int32_t b) { return w[a] < w[b] || (w[a] == w[b] && a > b); });
        moving.insert(moving.end(), mine.begin(), mine.begin() + excess);
        held[size_t(n)] -= excess;
    }
    std::sort(moving.begin(), moving.end(), [w](int32_t a, int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); });
    for (int32_t e : moving) {
        int32_t best = -1;
        for (int32_t n = 0; n < N; ++n)
            if (layout.slots_of(n) > held[size_t(n)] &&
                (best < 0 || layout.slots_of(n) - held[size_t(n)] > layout.slots_of(best) - held[size_t(best)]))
                best = n;
        home[e] = best;  // live slots >= experts: some node has room
        ++held[size_t(best)];
    }
}

}  // namespace eplb::detail

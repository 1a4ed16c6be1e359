#include "rebalancing/incremental.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

// The incremental mode's entry: the layer's shape, the mode, the stats; what every mode shares.
namespace eplb::detail {

IncrementalStats& IncrementalStats::operator+=(const IncrementalStats& o) {
    layers += o.layers, repaired += o.repaired, fresh += o.fresh, mixed += o.mixed;
    repaired_moves += o.repaired_moves, fresh_moves += o.fresh_moves, mixed_moves += o.mixed_moves;
    repair_failed_moves += o.repair_failed_moves;
    return *this;
}

IncrementalPlan incremental_plan(const Options& o, bool has_previous, Policy policy) {
    IncrementalPlan plan;
    if (!has_previous) return plan;
    plan.mode = o.tolerance < 0 && o.max_moves < 0 && policy != Policy::hybrid ? IncrementalMode::drift
                                                                                 : IncrementalMode::bounded;
    plan.budget = o.max_moves >= 0 ? o.max_moves : std::numeric_limits<int64_t>::max() / 4;
    // With only a move budget, spend it on balance; otherwise keep slots within the tolerance.
    plan.tolerance = o.tolerance >= 0 ? o.tolerance : (o.max_moves >= 0 ? 0.0 : default_tolerance);
    return plan;
}

void Incremental::record(Chosen c, int64_t moves, int64_t failed_moves) {
    ++stats_.layers;
    switch (c) {
        case Chosen::repaired: ++stats_.repaired, stats_.repaired_moves += moves; break;
        case Chosen::mixed: ++stats_.mixed, stats_.mixed_moves += moves; break;
        case Chosen::fresh: ++stats_.fresh, stats_.fresh_moves += moves, stats_.repair_failed_moves += failed_moves; break;
    }
}

void Incremental::set_layer(const LayerInput& in) {
    const Topology& t = in.topology;
    E_ = int32_t(in.experts);
    R_ = int32_t(t.replicas);
    G_ = int32_t(t.gpus);
    policy_ = in.policy;
    const bool nodes_matter = (policy_ == Policy::hierarchical || policy_ == Policy::hybrid) && t.nodes > 1;
    N_ = nodes_matter ? int32_t(t.nodes) : 1;
    groups_ = nodes_matter ? int32_t(t.groups) : 1;
    group_size_ = E_ / groups_;
    spg_ = R_ / G_;
    spn_ = R_ / N_;
    gpn_ = G_ / N_;
    w_ = in.weight;
}

Incremental::Maxima Incremental::maxima(const int32_t* row, double kappa) {
    count_.assign(size_t(E_), 0);
    for (int32_t s = 0; s < R_; ++s) ++count_[size_t(row[s])];
    Maxima m;
    for (int32_t g = 0; g < G_; ++g) {
        double sum = 0, sq = 0;
        for (int32_t s = g * spg_; s < (g + 1) * spg_; ++s) {
            const double r = w_[row[s]] / double(count_[size_t(row[s])]);
            sum += r;
            sq += r * r;
            m.replica = std::max(m.replica, r);
        }
        m.load = std::max(m.load, sum);
        m.robust = std::max(m.robust, sum + kappa * std::sqrt(sq));
    }
    std::fill(count_.begin(), count_.end(), 0);
    return m;
}

bool Incremental::meets(const int32_t* row, const Targets& tg) {
    const double slack = 1 + 1e-12;
    const Maxima rm = maxima(row, tg.kappa);
    return rm.load <= tg.load * slack && rm.robust <= tg.robust * slack && rm.replica <= tg.replica * slack;
}

int64_t Incremental::moved(const int32_t* row, const int32_t* prev) const {
    int64_t d = 0;
    for (int32_t s = 0; s < R_; ++s) d += row[s] != prev[s];
    return d;
}

bool Incremental::policy_holds(const int32_t* prev) {
    group_node_.assign(size_t(groups_), -1);
    if (policy_ == Policy::global || N_ == 1) {
        std::fill(group_node_.begin(), group_node_.end(), 0);
        return true;
    }
    if (policy_ == Policy::hierarchical) {
        for (int32_t s = 0; s < R_; ++s) {
            const int32_t g = prev[s] / group_size_, n = s / spn_;
            if (group_node_[size_t(g)] < 0) group_node_[size_t(g)] = n;
            else if (group_node_[size_t(g)] != n) return false;
        }
        for (int32_t g = 0; g < groups_; ++g)
            if (group_node_[size_t(g)] < 0) return false;
        return true;
    }
    // Hybrid: a group's home node is the node holding most of its experts (ties: lower node); every
    // expert of the group must have a replica there.
    std::vector<int32_t> stamp(size_t(E_), -1), distinct(size_t(groups_), 0), best(size_t(groups_), -1);
    for (int32_t n = 0; n < N_; ++n) {
        std::fill(distinct.begin(), distinct.end(), 0);
        for (int32_t s = n * spn_; s < (n + 1) * spn_; ++s) {
            const int32_t e = prev[s];
            if (stamp[size_t(e)] != n) stamp[size_t(e)] = n, ++distinct[size_t(e / group_size_)];
        }
        for (int32_t g = 0; g < groups_; ++g)
            if (distinct[size_t(g)] > best[size_t(g)]) best[size_t(g)] = distinct[size_t(g)], group_node_[size_t(g)] = n;
    }
    for (int32_t g = 0; g < groups_; ++g)
        if (best[size_t(g)] != group_size_) return false;
    return true;
}

int64_t Incremental::repair(const int32_t* start, const int32_t* prev, int32_t* out, const Targets& tg, int64_t budget) {
    RepairLayer layer;
    layer.w = w_;
    layer.E = E_, layer.R = R_, layer.G = G_, layer.N = N_;
    layer.spg = spg_, layer.spn = spn_, layer.gpn = gpn_, layer.group_size = group_size_;
    layer.policy = policy_;
    layer.group_node = group_node_.data();
    return repair_.run(layer, start, prev, out, tg, budget);
}

void Incremental::place(const LayerInput& in, LayerOutput out) {
    set_layer(in);
    const IncrementalPlan plan = incremental_plan(in.options, in.previous != nullptr, policy_);
    if (plan.mode == IncrementalMode::drift) {
        // A history: no fresh placement needed (see scenario_drift).
        if (in.window_count >= 2) {
            scenarios_.build(in);
            if (scenarios_.count >= 2 && policy_holds(in.previous)) return scenario_drift(in.previous, out.phy2log);
        }
        // Without a history: see drift_place(). Its keep test compares with the reference's answer
        // for the new loads (DeepSeek's placement, a fraction of the fresh one's work), so no fresh
        // placement is made.
        if (policy_holds(in.previous)) {
            LayerInput ri = in;
            ri.policy = N_ > 1 ? Policy::hierarchical : Policy::global;
            fresh_.resize(size_t(R_));
            reference_.place(ri, {fresh_.data()});
            drift_place(in.previous, maxima(fresh_.data(), 0).load, out.phy2log);
            return;
        }
        // A placement in service that breaks the policy: the bounded mode's candidates.
    }
    if (plan.mode == IncrementalMode::fresh) {
        fresh_.resize(size_t(R_));
        inner_->place(in, {fresh_.data()});
        std::copy(fresh_.begin(), fresh_.end(), out.phy2log);
        return;
    }
    bounded_place(in, plan, out.phy2log);
}

}  // namespace eplb::detail

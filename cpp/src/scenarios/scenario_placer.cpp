#include "scenarios/scenario_placer.hpp"

#include "layout.hpp"

#include <algorithm>
#include <numeric>

namespace eplb::detail {
namespace {
constexpr int64_t kGroupSearchSteps = 200000;
}  // namespace

void ScenarioGroups::search(int32_t i, double partial, int32_t* node_of) {
    if (++steps_ > kGroupSearchSteps || partial >= best_) return;
    if (i == groups_) {
        best_ = partial;
        for (int32_t j = 0; j < groups_; ++j) node_of[order_[size_t(j)]] = cur_[size_t(j)];
        return;
    }
    const double* g = gl_ + size_t(order_[size_t(i)]) * size_t(K_);
    bool empty_tried = false;
    for (int32_t n = 0; n < nodes_; ++n) {
        if (fill_[size_t(n)] == per_) continue;
        if (fill_[size_t(n)] == 0) {  // empty nodes are interchangeable: try only the first
            if (empty_tried) continue;
            empty_tried = true;
        }
        double* l = load_.data() + size_t(n) * size_t(K_);
        double add = 0;  // (l + g)^2 - l^2 summed over the scenarios
        for (int32_t k = 0; k < K_; ++k) add += g[k] * (2 * l[k] + g[k]);
        for (int32_t k = 0; k < K_; ++k) l[k] += g[k];
        ++fill_[size_t(n)];
        cur_[size_t(i)] = n;
        search(i + 1, partial + add, node_of);
        --fill_[size_t(n)];
        for (int32_t k = 0; k < K_; ++k) l[k] -= g[k];
    }
}

void ScenarioGroups::assign(const double* gl, int32_t K, int32_t groups, int32_t nodes, int32_t* node_of) {
    gl_ = gl, K_ = K, groups_ = groups, nodes_ = nodes, per_ = groups / nodes;
    std::vector<double> mean(size_t(groups), 0.0);
    for (int32_t g = 0; g < groups; ++g)
        for (int32_t k = 0; k < K; ++k) mean[size_t(g)] += gl[size_t(g) * size_t(K) + size_t(k)];
    order_.resize(size_t(groups));
    std::iota(order_.begin(), order_.end(), 0);
    std::stable_sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) { return mean[size_t(a)] > mean[size_t(b)]; });
    // Greedy start: heaviest group first, onto the node with room where it adds least.
    load_.assign(size_t(nodes) * size_t(K), 0.0);
    fill_.assign(size_t(nodes), 0);
    double total = 0;
    for (int32_t g : order_) {
        const double* v = gl + size_t(g) * size_t(K);
        int32_t best = -1;
        double best_add = 0;
        for (int32_t n = 0; n < nodes; ++n) {
            if (fill_[size_t(n)] == per_) continue;
            const double* l = load_.data() + size_t(n) * size_t(K);
            double add = 0;
            for (int32_t k = 0; k < K; ++k) add += v[k] * (2 * l[k] + v[k]);
            if (best < 0 || add < best_add) best = n, best_add = add;
        }
        node_of[g] = best;
        ++fill_[size_t(best)];
        total += best_add;
        double* l = load_.data() + size_t(best) * size_t(K);
        for (int32_t k = 0; k < K; ++k) l[k] += v[k];
    }
    if (nodes == 1 || per_ == 1) return;  // every assignment has the same node loads
    best_ = total * (1 - 1e-12);          // the search must beat the greedy start by more than rounding
    steps_ = 0;
    load_.assign(size_t(nodes) * size_t(K), 0.0);
    fill_.assign(size_t(nodes), 0);
    cur_.assign(size_t(groups), 0);
    search(0, 0.0, node_of);
}

bool ScenarioPlacer::applies(const LayerInput& in) {
    if (in.window_count < 2) return false;
    sc_.build(in);
    return sc_.count >= 2;
}

double ScenarioPlacer::place(const LayerInput& in, Apportionment rule, int32_t* phy2log) {
    const Topology& t = in.topology;
    const int32_t E = int32_t(in.experts), R = int32_t(t.replicas), G = int32_t(t.gpus), K = sc_.count;
    const NodeLayout* layout = in.layout;  // hybrid only (the hierarchical policy on a layout is NodeSplit's)
    const bool by_group = in.policy != Policy::global && (layout ? layout->nodes() : t.nodes) > 1;
    const int32_t nodes = by_group ? (layout ? layout->nodes() : int32_t(t.nodes)) : 1, groups = by_group ? int32_t(t.groups) : 1;
    const int32_t group_size = E / groups, m = G / nodes;

    node_of_group_.assign(size_t(groups), 0);
    if (by_group && layout) {
        // Nodes of unequal sizes or unequal group counts: the map by the groups' mean loads, as
        // the single-window path chooses it (LayoutGroups::assign_hybrid; loads are shares of 1).
        group_load_.assign(size_t(groups), 0.0);
        for (int32_t e = 0; e < E; ++e) group_load_[size_t(e / group_size)] += sc_.mean[size_t(e)];
        group_cap_ = group_capacity(*layout, groups, group_size, Policy::hybrid);
        layout_groups_.assign_hybrid(group_load_.data(), groups, group_size, *layout, group_cap_.data(),
                                     (1 + kLayoutNodeSlack) / double(G), 1 - kMinHomeShare, node_of_group_.data());
    } else if (by_group) {
        group_load_.assign(size_t(groups) * size_t(K), 0.0);
        for (int32_t e = 0; e < E; ++e) {
            const double* w = sc_.of(e);
            double* g = group_load_.data() + size_t(e / group_size) * size_t(K);
            for (int32_t k = 0; k < K; ++k) g[k] += w[k];
        }
        groups_.assign(group_load_.data(), K, groups, nodes, node_of_group_.data());
    }
    ScenarioPacker::Problem p;
    p.scenarios = &sc_;
    p.gpus = G;
    p.slots_per_gpu = R / G;
    p.passes = kScenarioPasses;
    count_.assign(size_t(E), 1);
    block_of_.assign(size_t(E), 0);
    p.count = count_.data();
    p.block_of = block_of_.data();
    if (in.policy == Policy::hybrid && by_group) {
        // Replica counts over the whole layer; each expert anchored on its group's node.
        const int32_t cap = int64_t(E) * G >= R ? G : R;
        apportioner_.apportion(rule, sc_.mean.data(), E, R, cap, count_.data());
        home_.resize(size_t(E));
        for (int32_t e = 0; e < E; ++e) home_[size_t(e)] = node_of_group_[size_t(e / group_size)];
        if (layout) foster_experts(sc_.mean.data(), E, *layout, home_.data());
        p.gpus_per_block = G;
        p.home = home_.data();
        p.gpus_per_node = m;
        p.node_first_gpu = layout ? layout->first_gpu.data() : nullptr;
        p.away_budget = 1 - kMinHomeShare;  // the scenarios' loads are shares of 1
    } else {
        // Replica counts inside each node (one node for the global policy).
        const int32_t n = E / nodes, K_node = R / nodes;
        const int32_t cap = int64_t(n) * m >= K_node ? m : K_node;
        local_.resize(size_t(n));
        local_w_.resize(size_t(n));
        local_count_.resize(size_t(n));
        for (int32_t node = 0; node < nodes; ++node) {
            int32_t k = 0;
            for (int32_t g = 0; g < groups; ++g)
                if (node_of_group_[size_t(g)] == node)
                    for (int32_t j = 0; j < group_size; ++j) local_[size_t(k++)] = g * group_size + j;
            for (int32_t i = 0; i < n; ++i) local_w_[size_t(i)] = sc_.mean[size_t(local_[size_t(i)])];
            apportioner_.apportion(rule, local_w_.data(), n, K_node, cap, local_count_.data());
            for (int32_t i = 0; i < n; ++i) {
                count_[size_t(local_[size_t(i)])] = local_count_[size_t(i)];
                block_of_[size_t(local_[size_t(i)])] = node;
            }
        }
        p.gpus_per_block = m;
    }
    packer_.pack(p, phy2log);
    return packer_.mean_heaviest();
}

}  // namespace eplb::detail

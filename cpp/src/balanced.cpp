#include "balanced.hpp"

#include <algorithm>
#include <numeric>

namespace eplb::detail {
namespace {

// Local-search work allowed per packing problem, in candidate moves examined per slot.
constexpr int64_t kWorkPerSlot = 2000;
// Node-level work of the hybrid policy per layer, in candidate moves: a base plus some per slot.
constexpr int64_t kNodeWork = 60000, kNodeWorkPerSlot = 20;
// Node loads within this fraction of their mean are left as they are: the GPU level cannot do
// much better, and every further move serves more load away from home.
constexpr double kNodeSlack = 5e-4;
constexpr int64_t kGroupSearchSteps = 200000;

}  // namespace

void GroupAssigner::search(int32_t k, double cur_max, int32_t* node_of) {
    if (++steps_ > kGroupSearchSteps) return;
    if (k == groups_) {
        if (cur_max < best_ - tol_) {
            best_ = cur_max;
            for (int32_t i = 0; i < groups_; ++i) node_of[order_[size_t(i)]] = cur_[size_t(i)];
        }
        return;
    }
    const double w = gw_[order_[size_t(k)]];
    bool empty_tried = false;
    for (int32_t n = 0; n < nodes_; ++n) {
        if (fill_[size_t(n)] == per_) continue;
        if (fill_[size_t(n)] == 0) {  // empty nodes are interchangeable: try only the first
            if (empty_tried) continue;
            empty_tried = true;
        }
        const double l = load_[size_t(n)] + w;
        if (l >= best_ - tol_) continue;
        load_[size_t(n)] = l;
        ++fill_[size_t(n)];
        cur_[size_t(k)] = n;
        search(k + 1, std::max(cur_max, l), node_of);
        --fill_[size_t(n)];
        load_[size_t(n)] -= w;
    }
}

void GroupAssigner::assign(const double* gw, int32_t groups, int32_t nodes, int32_t* node_of) {
    const int32_t per = groups / nodes;
    exact_ = false;
    if (nodes == 1 || per == 1) {  // every assignment has the same node loads
        for (int32_t g = 0; g < groups; ++g) node_of[g] = g / per;
        load_.assign(size_t(nodes), 0.0);
        for (int32_t g = 0; g < groups; ++g) load_[size_t(g / per)] += gw[g];
        best_ = *std::max_element(load_.begin(), load_.end());
        tol_ = 0;
        exact_ = true;
        return;
    }
    // Greedy and swaps first: a good bound, and the answer when the search is too big.
    cnt_.assign(size_t(groups), 1);
    out_.resize(size_t(groups));
    solver_.solve(gw, cnt_.data(), groups, nodes, per, false, 1, kWorkPerSlot * groups, out_.data());
    double total = 0;
    for (int32_t g = 0; g < groups; ++g) total += gw[g];
    load_.assign(size_t(nodes), 0.0);
    for (int32_t s = 0; s < groups; ++s) node_of[out_[size_t(s)]] = s / per, load_[size_t(s / per)] += gw[out_[size_t(s)]];
    best_ = *std::max_element(load_.begin(), load_.end());
    if (groups > 64 || !(total > 0)) return;
    // Branch and bound over the remaining pairings, heaviest groups first.
    gw_ = gw, groups_ = groups, nodes_ = nodes, per_ = per, steps_ = 0;
    tol_ = 1e-12 * total;
    order_.resize(size_t(groups));
    std::iota(order_.begin(), order_.end(), 0);
    std::sort(order_.begin(), order_.end(), [gw](int32_t a, int32_t b) { return gw[a] > gw[b] || (gw[a] == gw[b] && a < b); });
    load_.assign(size_t(nodes), 0.0);
    fill_.assign(size_t(nodes), 0);
    cur_.assign(size_t(groups), 0);
    search(0, 0.0, node_of);
    exact_ = steps_ <= kGroupSearchSteps;
}

double Balanced::max_gpu_load(const double* w, int32_t E, const int32_t* phy2log, int32_t R, int32_t G) {
    count_.assign(size_t(E), 0);
    for (int32_t s = 0; s < R; ++s) ++count_[size_t(phy2log[s])];
    gpu_.assign(size_t(G), 0.0);
    const int32_t per = R / G;
    for (int32_t s = 0; s < R; ++s) gpu_[size_t(s / per)] += w[phy2log[s]] / double(count_[size_t(phy2log[s])]);
    return *std::max_element(gpu_.begin(), gpu_.end());
}

double Balanced::place_nodes(const LayerInput& in, int32_t* phy2log, bool by_group) {
    const Topology& t = in.topology;
    const int32_t E = int32_t(in.experts), R = int32_t(t.replicas), G = int32_t(t.gpus);
    const int32_t groups = by_group ? int32_t(t.groups) : 1;
    const int32_t nodes = by_group ? int32_t(t.nodes) : 1;
    const int32_t group_size = E / groups;
    const int32_t m = G / nodes, S = R / G, K = R / nodes, n = E / nodes;
    const double* w = in.weight;

    group_w_.assign(size_t(groups), 0.0);
    for (int32_t e = 0; e < E; ++e) group_w_[size_t(e / group_size)] += w[e];
    node_of_group_.resize(size_t(groups));
    assigner_.assign(group_w_.data(), groups, nodes, node_of_group_.data());
    // Heaviest node first: only the heaviest GPU counts, so once a node is done, lighter nodes
    // stop searching as soon as their heaviest GPU is no heavier than the worst so far.
    node_w_.assign(size_t(nodes), 0.0);
    for (int32_t g = 0; g < groups; ++g) node_w_[size_t(node_of_group_[size_t(g)])] += group_w_[size_t(g)];
    node_order_.resize(size_t(nodes));
    std::iota(node_order_.begin(), node_order_.end(), 0);
    std::sort(node_order_.begin(), node_order_.end(), [this](int32_t a, int32_t b) {
        return node_w_[size_t(a)] > node_w_[size_t(b)] || (node_w_[size_t(a)] == node_w_[size_t(b)] && a < b);
    });

    local_.resize(size_t(n));
    local_w_.resize(size_t(n));
    cnt_.resize(size_t(n));
    out_.resize(size_t(K));
    // The most replicas one expert may get: one per GPU of the node when that can fill the node.
    const int32_t cap = int64_t(n) * m >= K ? m : K;
    double worst = -1.0;
    for (int32_t node : node_order_) {
        int32_t k = 0;
        for (int32_t g = 0; g < groups; ++g)
            if (node_of_group_[size_t(g)] == node)
                for (int32_t j = 0; j < group_size; ++j) local_[size_t(k++)] = g * group_size + j;
        for (int32_t i = 0; i < n; ++i) local_w_[size_t(i)] = w[local_[size_t(i)]];
        apportioner_.apportion(rule_, local_w_.data(), n, K, cap, cnt_.data());
        // A lighter node is often done once its greedy start is no heavier than the worst so far.
        BinSolver::Result r;
        if (!solver_.greedy_only(local_w_.data(), cnt_.data(), n, m, S, out_.data(), worst, r))
            r = solver_.solve(local_w_.data(), cnt_.data(), n, m, S, joint_, cap, kWorkPerSlot * K, out_.data(), nullptr,
                              worst);
        worst = std::max(worst, r.max_load);
        for (int32_t s = 0; s < K; ++s) phy2log[node * K + s] = local_[size_t(out_[size_t(s)])];
    }
    return worst;
}

double Balanced::place_hybrid(const LayerInput& in, int32_t* phy2log) {
    const Topology& t = in.topology;
    const int32_t E = int32_t(in.experts), R = int32_t(t.replicas), G = int32_t(t.gpus);
    const int32_t groups = int32_t(t.groups), nodes = int32_t(t.nodes);
    const int32_t group_size = E / groups;
    const int32_t m = G / nodes, S = R / G, K = R / nodes;
    const double* w = in.weight;

    // Groups onto nodes as in the hierarchy.
    group_w_.assign(size_t(groups), 0.0);
    for (int32_t e = 0; e < E; ++e) group_w_[size_t(e / group_size)] += w[e];
    node_of_group_.resize(size_t(groups));
    assigner_.assign(group_w_.data(), groups, nodes, node_of_group_.data());
    home_.resize(size_t(E));
    for (int32_t e = 0; e < E; ++e) home_[size_t(e)] = node_of_group_[size_t(e / group_size)];
    local_.resize(size_t(E));
    local_w_.resize(size_t(E));
    cnt_.resize(size_t(E));
    item_.resize(size_t(E));
    hcnt_.resize(size_t(E));
    // Each node first replicates its own experts, as in the hierarchy.
    const int32_t n = E / nodes;
    const int32_t cap = int64_t(n) * m >= K ? m : K;
    for (int32_t node = 0; node < nodes; ++node) {
        int32_t k = 0;
        for (int32_t g = 0; g < groups; ++g)
            if (node_of_group_[size_t(g)] == node)
                for (int32_t j = 0; j < group_size; ++j) local_[size_t(k++)] = g * group_size + j;
        for (int32_t i = 0; i < n; ++i) local_w_[size_t(i)] = w[local_[size_t(i)]];
        apportioner_.apportion(rule_, local_w_.data(), n, K, cap, cnt_.data());
        for (int32_t i = 0; i < n; ++i) hcnt_[size_t(local_[size_t(i)])] = cnt_[size_t(i)];
    }
    rn_.assign(size_t(E) * size_t(nodes), 0);
    for (int32_t e = 0; e < E; ++e) rn_[size_t(e * nodes + home_[size_t(e)])] = hcnt_[size_t(e)];
    const int32_t total_cap = cap == m ? G : R;
    // Node level: extra replicas of the heavy nodes' experts are served from lighter nodes.
    node_balancer_.balance(w, home_.data(), E, nodes, m, total_cap, true, kNodeWork + kNodeWorkPerSlot * R, kNodeSlack,
                           hcnt_.data(), rn_.data());
    // Then each node's replicas onto its GPUs, heaviest node first (see place_nodes). An expert
    // served from several nodes keeps its count; one served from this node only may change it.
    node_w_.assign(size_t(nodes), 0.0);
    for (int32_t e = 0; e < E; ++e) {
        const double r = w[e] / double(hcnt_[size_t(e)]);
        for (int32_t node = 0; node < nodes; ++node) node_w_[size_t(node)] += double(rn_[size_t(e * nodes + node)]) * r;
    }
    node_order_.resize(size_t(nodes));
    std::iota(node_order_.begin(), node_order_.end(), 0);
    std::sort(node_order_.begin(), node_order_.end(), [this](int32_t a, int32_t b) {
        return node_w_[size_t(a)] > node_w_[size_t(b)] || (node_w_[size_t(a)] == node_w_[size_t(b)] && a < b);
    });
    out_.resize(size_t(K));
    double worst = -1.0;
    for (int32_t node : node_order_) {
        int32_t k = 0;
        for (int32_t e = 0; e < E; ++e) {
            const int32_t r = rn_[size_t(e * nodes + node)];
            if (!r) continue;
            local_[size_t(k)] = e;
            cnt_[size_t(k)] = r;
            if (r == hcnt_[size_t(e)]) {
                local_w_[size_t(k)] = w[e];
                item_[size_t(k)] = -1.0;
            } else {
                item_[size_t(k)] = w[e] / double(hcnt_[size_t(e)]);
                local_w_[size_t(k)] = item_[size_t(k)] * double(r);
            }
            ++k;
        }
        solver_.set_counts_first(true);
        const auto res = solver_.solve(local_w_.data(), cnt_.data(), k, m, S, joint_, m, kWorkPerSlot * K, out_.data(),
                                       item_.data(), worst);
        solver_.set_counts_first(false);
        worst = std::max(worst, res.max_load);
        for (int32_t s = 0; s < K; ++s) phy2log[node * K + s] = local_[size_t(out_[size_t(s)])];
    }
    return worst;
}

// Whether the reference's heaviest GPU is at least `mine`, found cheaply: the reference packs
// groups onto nodes greedily (float32), then replicates and packs each node on its own. Its node
// loads spread evenly bound its heaviest GPU from below; failing that, its nodes are rebuilt
// heaviest first (the same steps as DeepSeek::place) until one has a GPU at least as heavy.
bool Balanced::reference_no_better(const LayerInput& in, bool by_group, double mine) {
    const Topology& t = in.topology;
    const int32_t E = int32_t(in.experts);
    const int32_t groups = by_group ? int32_t(t.groups) : 1, nodes = by_group ? int32_t(t.nodes) : 1;
    const int32_t group_size = E / groups, m = int32_t(t.gpus) / nodes;
    const int32_t K = int32_t(t.replicas) / nodes, n = E / nodes;
    // No assignment of groups to nodes has a node lighter than the best one found, so when the
    // search was complete, that alone can show the reference is no better (its heaviest node
    // spread evenly, the first test below).
    if (assigner_.exact() && mine <= assigner_.lightest_heaviest() / double(m)) return true;
    // group_w_: the group loads of this layer, summed by place_nodes / place_hybrid.
    ref_group_w_.resize(size_t(groups));
    for (int32_t g = 0; g < groups; ++g) {
        double s = 0;
        for (int32_t j = 0; j < group_size; ++j) s += double(float(in.weight[g * group_size + j]));
        ref_group_w_[size_t(g)] = float(s);
    }
    ref_pack_.resize(size_t(groups));
    ref_rank_.resize(size_t(groups));
    packer_.pack(ref_group_w_.data(), groups, nodes, ref_pack_.data(), ref_rank_.data());
    node_w_.assign(size_t(nodes), 0.0);
    for (int32_t g = 0; g < groups; ++g) node_w_[size_t(ref_pack_[size_t(g)])] += group_w_[size_t(g)];
    if (mine <= *std::max_element(node_w_.begin(), node_w_.end()) / double(m)) return true;
    node_order_.resize(size_t(nodes));
    std::iota(node_order_.begin(), node_order_.end(), 0);
    std::sort(node_order_.begin(), node_order_.end(), [this](int32_t a, int32_t b) {
        return node_w_[size_t(a)] > node_w_[size_t(b)] || (node_w_[size_t(a)] == node_w_[size_t(b)] && a < b);
    });
    local_.resize(size_t(n));
    ref_w_.resize(size_t(n));
    ref_slot_.resize(size_t(K));
    ref_cnt_.resize(size_t(n));
    ref_slot_w_.resize(size_t(K));
    ref_slot_pack_.resize(size_t(K));
    ref_slot_rank_.resize(size_t(K));
    gpu_.resize(size_t(m));
    for (int32_t node : node_order_) {
        if (node_w_[size_t(node)] / double(m) > mine) return true;  // cannot be (already checked)
        // The node's experts in the reference's order: its groups by pack rank.
        for (int32_t g = 0; g < groups; ++g)
            if (ref_pack_[size_t(g)] == node)
                for (int32_t j = 0; j < group_size; ++j)
                    local_[size_t(ref_rank_[size_t(g)] * group_size + j)] = g * group_size + j;
        for (int32_t i = 0; i < n; ++i) ref_w_[size_t(i)] = float(in.weight[local_[size_t(i)]]);
        replicator_.replicate(ref_w_.data(), n, K, ref_slot_.data(), ref_cnt_.data());
        for (int32_t s = 0; s < K; ++s)
            ref_slot_w_[size_t(s)] = ref_w_[size_t(ref_slot_[size_t(s)])] / float(ref_cnt_[size_t(ref_slot_[size_t(s)])]);
        packer_.pack(ref_slot_w_.data(), K, m, ref_slot_pack_.data(), ref_slot_rank_.data());
        std::fill(gpu_.begin(), gpu_.end(), 0.0);
        for (int32_t s = 0; s < K; ++s) {
            const int32_t i = ref_slot_[size_t(s)];
            gpu_[size_t(ref_slot_pack_[size_t(s)])] += in.weight[local_[size_t(i)]] / double(ref_cnt_[size_t(i)]);
        }
        if (*std::max_element(gpu_.begin(), gpu_.end()) >= mine) return true;
    }
    return false;
}

void Balanced::place(const LayerInput& in, LayerOutput out) {
    if (scenario_.applies(in)) return place_for_history(in, out);
    const Topology& t = in.topology;
    const int32_t E = int32_t(in.experts), R = int32_t(t.replicas), G = int32_t(t.gpus);
    const bool by_group = in.policy != Policy::global;
    // The heaviest GPU, as the solver summed it (each GPU's replicas in slot order, an expert's
    // load over all its replicas in the layer): the same as max_gpu_load would find.
    const double mine = in.policy == Policy::hybrid ? place_hybrid(in, out.phy2log) : place_nodes(in, out.phy2log, by_group);
    if (!safety_net_) return;
#ifdef EPLB_CHECK_MINE
    if (mine != max_gpu_load(in.weight, E, out.phy2log, R, G)) __builtin_trap();
#endif
    // The reference under the same constraints (its hierarchical placement is a valid hybrid
    // one), unless a cheap look at it shows that it cannot do better.
    if (reference_no_better(in, by_group, mine)) return;
    take_reference_if(in, out.phy2log, [&](const int32_t* ref) { return max_gpu_load(in.weight, E, ref, R, G) < mine; });
}

void Balanced::place_for_history(const LayerInput& in, LayerOutput out) {
    const double mine = scenario_.place(in, rule_, out.phy2log);
    if (!safety_net_) return;
    const int32_t R = int32_t(in.topology.replicas), G = int32_t(in.topology.gpus);
    take_reference_if(in, out.phy2log, [&](const int32_t* ref) { return scenario_.scenarios().heaviest_sum(ref, R, G) < mine; });
}

template <class Better>
bool Balanced::take_reference_if(const LayerInput& in, int32_t* phy2log, Better better) {
    const Topology& t = in.topology;
    const int32_t E = int32_t(in.experts), R = int32_t(t.replicas), G = int32_t(t.gpus);
    const bool by_group = in.policy != Policy::global;
    LayerInput ref_in{in.weight, in.experts, in.topology, by_group ? Policy::hierarchical : Policy::global,
                      in.options, in.previous, in.windows, in.window_count};
    ref_.resize(size_t(R));
    reference_.place(ref_in, {ref_.data()});
    if (!better(ref_.data())) return false;
    // Taken only without two replicas of an expert on one GPU, unless the topology forces that.
    const int32_t nodes = by_group ? int32_t(t.nodes) : 1;
    const bool avoidable = int64_t(E / nodes) * (G / nodes) >= R / nodes;
    if (!remove_duplicates(in.weight, E, ref_.data(), R, G, nodes) && avoidable) return false;
    std::copy(ref_.begin(), ref_.end(), phy2log);
    return true;
}

// The reference may put two replicas of an expert on one GPU. Each such replica is swapped, inside
// its node, with a replica of another expert when neither GPU then exceeds the current heaviest.
// Returns whether no GPU holds two replicas of one expert in the end.
bool Balanced::remove_duplicates(const double* w, int32_t E, int32_t* phy2log, int32_t R, int32_t G, int32_t nodes) {
    const double top = max_gpu_load(w, E, phy2log, R, G);  // fills count_ and gpu_
    const int32_t S = R / G, K = R / nodes;
    auto on_gpu = [&](int32_t e, int32_t g, int32_t skip) {
        for (int32_t s = g * S; s < (g + 1) * S; ++s)
            if (s != skip && phy2log[s] == e) return true;
        return false;
    };
    bool clean = true;
    for (int32_t s = 0; s < R; ++s) {
        const int32_t x = phy2log[s], a = s / S;
        if (!on_gpu(x, a, s)) continue;
        const double wx = w[x] / double(count_[size_t(x)]);
        const int32_t node = s / K;
        double best = top;
        int32_t bt = -1;
        for (int32_t t = node * K; t < (node + 1) * K; ++t) {
            const int32_t b = t / S, y = phy2log[t];
            if (b == a || y == x || on_gpu(y, a, -1) || on_gpu(x, b, -1)) continue;
            const double d = wx - w[y] / double(count_[size_t(y)]);
            const double v = std::max(gpu_[size_t(a)] - d, gpu_[size_t(b)] + d);
            if (v <= best) best = v, bt = t;
        }
        if (bt < 0) {
            clean = false;
            continue;
        }
        const int32_t y = phy2log[bt], b = bt / S;
        const double d = wx - w[y] / double(count_[size_t(y)]);
        gpu_[size_t(a)] -= d;
        gpu_[size_t(b)] += d;
        phy2log[bt] = x;
        phy2log[s] = y;
    }
    return clean;
}

}  // namespace eplb::detail

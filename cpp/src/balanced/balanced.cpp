#include "balanced/balanced.hpp"

#include "layout.hpp"

#include <algorithm>
#include <limits>
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
    const NodeLayout* layout = in.layout;  // null: equal nodes of whole groups
    const int32_t E = int32_t(in.experts), R = int32_t(t.replicas), G = int32_t(t.gpus);
    const int32_t groups = int32_t(t.groups), nodes = layout ? layout->nodes() : int32_t(t.nodes);
    const int32_t group_size = E / groups, S = R / G;
    const double* w = in.weight;
    // Each node's GPUs, slots and first slot.
    node_m_.resize(size_t(nodes));
    node_k_.resize(size_t(nodes));
    node_first_.resize(size_t(nodes));
    for (int32_t node = 0; node < nodes; ++node) {
        node_m_[size_t(node)] = layout ? layout->gpus_of(node) : G / nodes;
        node_k_[size_t(node)] = layout ? layout->slots_of(node) : R / nodes;
        node_first_[size_t(node)] = layout ? layout->first_slot(node) : node * (R / nodes);
    }

    // Groups onto nodes as in the hierarchy (on a layout: as many as fit, balancing the load per GPU).
    group_w_.assign(size_t(groups), 0.0);
    for (int32_t e = 0; e < E; ++e) group_w_[size_t(e / group_size)] += w[e];
    node_of_group_.resize(size_t(groups));
    hcnt_.resize(size_t(E));
    bool one_per_gpu = true;
    double target = 0;  // on a layout: the load per GPU a node may reach before serving load away
    double away_budget = 0;  // ... and the most load it serves away in all
    if (layout) {
        // The layer's replica counts (the rule over all slots, one replica per GPU at most when
        // that can fill them: what layout_start follows); groups onto nodes by what each node must
        // serve away to come near the mean (LayoutGroups::assign_hybrid).
        one_per_gpu = int64_t(E) * G >= R;
        apportioner_.apportion(rule_, w, E, R, one_per_gpu ? G : R, hcnt_.data());
        double total = 0;
        for (int32_t e = 0; e < E; ++e) total += w[e];
        target = total / double(G) * (1 + kLayoutNodeSlack);
        away_budget = total * (1 - kLayoutMinHomeShare);
        group_cap_ = group_capacity(*layout, groups, group_size, Policy::hybrid);
        layout_groups_.assign_hybrid(group_w_.data(), groups, group_size, *layout, group_cap_.data(), target, away_budget,
                                     node_of_group_.data());
    } else {
        assigner_.assign(group_w_.data(), groups, nodes, node_of_group_.data());
    }
    home_.resize(size_t(E));
    for (int32_t e = 0; e < E; ++e) home_[size_t(e)] = node_of_group_[size_t(e / group_size)];
    // A node with fewer slots than its groups' experts: its lightest experts live elsewhere.
    if (layout) foster_experts(w, E, *layout, home_.data());
    local_.resize(size_t(E));
    local_w_.resize(size_t(E));
    cnt_.resize(size_t(E));
    item_.resize(size_t(E));
    // Each node first replicates its own experts, as in the hierarchy. The most replicas of an
    // expert: one per GPU of its node when that can fill the node. On a layout, the counts are
    // the layer's instead (see layout_start).
    for (int32_t node = 0; node < nodes && !layout; ++node) {
        int32_t k = 0;
        for (int32_t e = 0; e < E; ++e)
            if (home_[size_t(e)] == node) local_[size_t(k++)] = e;
        const int32_t m = node_m_[size_t(node)], K = node_k_[size_t(node)];
        const int32_t cap = int64_t(k) * m >= K ? m : K;
        one_per_gpu = one_per_gpu && cap == m;
        for (int32_t i = 0; i < k; ++i) local_w_[size_t(i)] = w[local_[size_t(i)]];
        apportioner_.apportion(rule_, local_w_.data(), k, K, cap, cnt_.data());
        for (int32_t i = 0; i < k; ++i) hcnt_[size_t(local_[size_t(i)])] = cnt_[size_t(i)];
    }
    rn_.assign(size_t(E) * size_t(nodes), 0);
    if (layout) {
        layout_start(w, E, nodes, target, away_budget);
    } else {
        for (int32_t e = 0; e < E; ++e) rn_[size_t(e * nodes + home_[size_t(e)])] = hcnt_[size_t(e)];
    }
    const int32_t total_cap = one_per_gpu ? G : R;
    // Node level: extra replicas of the heavy nodes' experts are served from lighter nodes.
    node_balancer_.balance(w, home_.data(), E, nodes, node_m_.data(), total_cap, true, kNodeWork + kNodeWorkPerSlot * R,
                           layout ? kLayoutNodeSlack : kNodeSlack, hcnt_.data(), rn_.data(),
                           layout ? kMaxReplicaShare * target : std::numeric_limits<double>::infinity(),
                           layout ? away_budget : std::numeric_limits<double>::infinity());
    // Then each node's replicas onto its GPUs, heaviest node first (see place_nodes; per GPU on
    // nodes of unequal sizes). An expert served from several nodes keeps its count; one served
    // from this node only may change it.
    node_w_.assign(size_t(nodes), 0.0);
    for (int32_t e = 0; e < E; ++e) {
        const double r = w[e] / double(hcnt_[size_t(e)]);
        for (int32_t node = 0; node < nodes; ++node) node_w_[size_t(node)] += double(rn_[size_t(e * nodes + node)]) * r;
    }
    if (layout)
        for (int32_t node = 0; node < nodes; ++node) node_w_[size_t(node)] /= double(node_m_[size_t(node)]);
    node_order_.resize(size_t(nodes));
    std::iota(node_order_.begin(), node_order_.end(), 0);
    std::sort(node_order_.begin(), node_order_.end(), [this](int32_t a, int32_t b) {
        return node_w_[size_t(a)] > node_w_[size_t(b)] || (node_w_[size_t(a)] == node_w_[size_t(b)] && a < b);
    });
    double worst = -1.0;
    for (int32_t node : node_order_) {
        const int32_t m = node_m_[size_t(node)], K = node_k_[size_t(node)];
        out_.resize(size_t(K));
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
        for (int32_t s = 0; s < K; ++s) phy2log[node_first_[size_t(node)] + s] = local_[size_t(out_[size_t(s)])];
    }
    return worst;
}

// Hybrid on a layout: a node may be full with its own experts' first replicas (a node that lost
// GPUs, or one holding more groups than the others), so its hot experts can shed load only onto
// other nodes, and all that load is served away from home. Every expert's first replica on its
// home node; then (1) while a node is above `target` (load per GPU, w's units), its experts'
// extra replicas, largest w / c first, each on the node with a free slot where the load per GPU
// ends lowest (if lower than the giver's); (2) the slots left as the rule's counts go (hcnt_ in:
// the rule's counts over all slots; largest w / c next), each at its expert's home. Leaves the
// counts in hcnt_ and the replicas per node in rn_.
void Balanced::layout_start(const double* w, int32_t E, int32_t nodes, double target, double away_budget) {
    std::vector<int32_t> free_slots(node_k_), rule(hcnt_);
    node_w_.assign(size_t(nodes), 0.0);
    for (int32_t e = 0; e < E; ++e) {
        rn_[size_t(e * nodes + home_[size_t(e)])] = 1;
        --free_slots[size_t(home_[size_t(e)])];
        node_w_[size_t(home_[size_t(e)])] += w[e];
        hcnt_[size_t(e)] = 1;
    }
    auto per_gpu = [&](int32_t n, double add) { return (node_w_[size_t(n)] + add) / double(node_m_[size_t(n)]); };
    auto ratio = [&](int32_t e) { return w[e] / double(hcnt_[size_t(e)]); };
    // The node other than h with a free slot where a replica r leaves the lowest load per GPU
    // (fewer replicas of e than the node has GPUs where possible); -1 if none.
    auto away_node = [&](int32_t e, int32_t h, double r) {
        for (int pass = 0; pass < 2; ++pass) {
            int32_t best = -1;
            for (int32_t n = 0; n < nodes; ++n) {
                if (n == h || !free_slots[size_t(n)] || (pass == 0 && rn_[size_t(e * nodes + n)] >= node_m_[size_t(n)])) continue;
                if (best < 0 || per_gpu(n, r) < per_gpu(best, r)) best = n;
            }
            if (best >= 0) return best;
        }
        return int32_t(-1);
    };
    auto add = [&](int32_t e, int32_t at) {  // e's replicas each lose w / c - w / (c + 1)
        const int32_t c = hcnt_[size_t(e)];
        const double r = w[e] / double(c + 1);
        for (int32_t n = 0; n < nodes; ++n) node_w_[size_t(n)] -= double(rn_[size_t(e * nodes + n)]) * (w[e] / double(c) - r);
        node_w_[size_t(at)] += r;
        ++rn_[size_t(e * nodes + at)];
        ++hcnt_[size_t(e)];
        --free_slots[size_t(at)];
    };
    // 1. Nodes above the target shed load: their experts' extra replicas, largest w / c first,
    //    onto other nodes while that leaves the receiving node lighter than the giving one, and
    //    the load served away within the budget (an expert with c replicas, k of them at home,
    //    serves w (c - k) / c away).
    double away = 0;
    auto away_gain = [&](int32_t e) {  // one more replica of e, away from home
        const double c = double(hcnt_[size_t(e)]), k = double(rn_[size_t(e * nodes + home_[size_t(e)])]);
        return w[e] * ((c + 1 - k) / (c + 1) - (c - k) / c);
    };
    for (;;) {
        int32_t best = -1, best_at = -1;
        for (int32_t e = 0; e < E; ++e) {
            const int32_t h = home_[size_t(e)];
            if (!(per_gpu(h, 0) > target) || (best >= 0 && !(ratio(e) > ratio(best)))) continue;
            if (away + away_gain(e) > away_budget) continue;
            const int32_t at = away_node(e, h, w[e] / double(hcnt_[size_t(e)] + 1));
            if (at >= 0 && per_gpu(at, w[e] / double(hcnt_[size_t(e)] + 1)) < per_gpu(h, 0)) best = e, best_at = at;
        }
        if (best < 0) break;
        away += away_gain(best);
        add(best, best_at);
    }
    // 2. The slots left as the rule's counts go (largest w / c next, up to the rule's count), at
    //    the expert's home.
    int32_t left = 0;
    for (int32_t n = 0; n < nodes; ++n) left += free_slots[size_t(n)];
    for (; left > 0; --left) {
        int32_t best = -1, best_at = -1;
        for (int pass = 0; pass < 2 && best < 0; ++pass)  // pass 1: past the rule's counts
            for (int32_t e = 0; e < E; ++e) {
                if (pass == 0 && hcnt_[size_t(e)] >= rule[size_t(e)] && rule[size_t(e)] > 1) continue;
                if (best >= 0 && !(ratio(e) > ratio(best))) continue;
                const int32_t h = home_[size_t(e)];
                if (free_slots[size_t(h)]) best = e, best_at = h;
            }
        if (best < 0)  // only full nodes' experts could take them: the one that adds least
            for (int32_t e = 0; e < E; ++e) {
                const int32_t at = away_node(e, home_[size_t(e)], w[e] / double(hcnt_[size_t(e)] + 1));
                if (at >= 0 && (best < 0 || ratio(e) > ratio(best))) best = e, best_at = at;
            }
        add(best, best_at);
    }
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
    // On a layout (uneven nodes) the reference has no placement under the same constraints.
    if (!safety_net_ || in.layout) return;
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
    if (!safety_net_ || in.layout) return;
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

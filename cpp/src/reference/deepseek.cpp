#include "reference/deepseek.hpp"

#include <type_traits>

#include "reference/float_bits.hpp"
#include "reference/reference_sort.hpp"

namespace eplb::detail {
namespace {

// Step 3 for one node, or two in lockstep: each visited replica goes to the lightest GPU with
// room (pack_tournament.hpp). One packing is a chain of dependent choices; two independent
// chains interleaved keep the processor busy while each waits on its last choice.
template <class Packs>
__attribute__((always_inline)) inline void pack_visit(Packs& packs, uint64_t visit, int32_t per_gpu,
                                                      const int32_t* local2log, int32_t* out) {
    int32_t rank;
    const int32_t gpu = packs.add(float_value(~uint32_t(visit >> 32)), rank);
    out[gpu * per_gpu + rank] = local2log[uint32_t(visit)];
}

}  // namespace

void DeepSeek::place(const LayerInput& in, LayerOutput out) {
    const Topology& t = in.topology;
    const bool hier = in.policy == Policy::hierarchical;
    const int32_t E = int32_t(in.experts);
    const int32_t groups = hier ? int32_t(t.groups) : 1;
    const int32_t nodes = hier ? int32_t(t.nodes) : 1;
    const int32_t group_size = E / groups;
    const int32_t groups_per_node = groups / nodes;
    const int32_t experts_per_node = E / nodes;
    const int32_t slots_per_node = int32_t(t.replicas) / nodes;
    const int32_t gpus_per_node = int32_t(t.gpus) / nodes;
    const int32_t per_gpu = slots_per_node / gpus_per_node;

    w_.resize(size_t(E));
    for (int32_t e = 0; e < E; ++e) w_[size_t(e)] = float(in.weight[e]);  // reference: weight.float()

    // Step 1: groups onto nodes. Group sums are exact, then rounded to float32.
    group_w_.resize(size_t(groups));
    for (int32_t g = 0; g < groups; ++g) {
        double s = 0;
        for (int32_t j = 0; j < group_size; ++j) s += double(w_[size_t(g * group_size + j)]);
        group_w_[size_t(g)] = float(s);
    }
    group_pack_.resize(size_t(groups));
    group_rank_.resize(size_t(groups));
    packer_.pack(group_w_.data(), groups, nodes, group_pack_.data(), group_rank_.data());
    // Node-major numbering ("mlog"): node by node, groups in pack-rank order.
    mlog2log_.resize(size_t(E));
    for (int32_t g = 0; g < groups; ++g) {
        const int32_t base = (group_pack_[size_t(g)] * groups_per_node + group_rank_[size_t(g)]) * group_size;
        for (int32_t j = 0; j < group_size; ++j) mlog2log_[size_t(base + j)] = g * group_size + j;
    }

    // Step 2 and the order of step 3, node by node: one sort and a merge where it gives the
    // reference's order, else the literal steps, two nodes at a time.
    node_w_.resize(size_t(E));
    for (int32_t j = 0; j < E; ++j) node_w_[size_t(j)] = w_[size_t(mlog2log_[size_t(j)])];
    visits_.resize(size_t(nodes) * size_t(slots_per_node));
    auto node_w = [&](int32_t node) { return node_w_.data() + node * experts_per_node; };
    auto visits = [&](int32_t node) { return visits_.data() + size_t(node) * size_t(slots_per_node); };
    literal_.clear();
    for (int32_t node = 0; node < nodes; ++node)
        if (per_gpu == 1 || !visit_node_sorted(node_w(node), experts_per_node, slots_per_node, visits(node)))
            literal_.push_back(node);
    for (size_t i = 0; i < literal_.size(); i += 2) {
        const int32_t a = literal_[i], b = i + 1 < literal_.size() ? literal_[i + 1] : -1;
        visit_nodes_literally(node_w(a), b < 0 ? nullptr : node_w(b), experts_per_node, slots_per_node, per_gpu == 1,
                              visits(a), b < 0 ? nullptr : visits(b));
    }

    // Step 3: replicas onto GPUs.
    pack_nodes(nodes, experts_per_node, slots_per_node, gpus_per_node, out.phy2log);
}

// Step 3, each node's replicas in visiting order onto its GPUs: each to the lightest GPU with room;
// two nodes at a time by tournaments, one at a time by a heap (over 256 GPUs a node); with one
// slot per GPU, replica i on GPU i.
void DeepSeek::pack_nodes(int32_t nodes, int32_t experts_per_node, int32_t slots_per_node, int32_t gpus_per_node,
                          int32_t* phy2log) {
    const int32_t per_gpu = slots_per_node / gpus_per_node;
    auto visits = [&](int32_t node) { return visits_.data() + size_t(node) * size_t(slots_per_node); };
    auto local2log = [&](int32_t node) { return mlog2log_.data() + node * experts_per_node; };
    auto slots_of = [&](int32_t node) { return phy2log + node * slots_per_node; };
    if (per_gpu == 1) {
        for (int32_t node = 0; node < nodes; ++node)
            for (int32_t s = 0; s < slots_per_node; ++s) slots_of(node)[s] = local2log(node)[uint32_t(visits(node)[s])];
        return;
    }
    if (gpus_per_node > kTournamentMaxPacks) {
        slot_w_.resize(size_t(slots_per_node));
        slot_pack_.resize(size_t(slots_per_node));
        slot_rank_.resize(size_t(slots_per_node));
        for (int32_t node = 0; node < nodes; ++node) {
            for (int32_t s = 0; s < slots_per_node; ++s) slot_w_[size_t(s)] = float_value(~uint32_t(visits(node)[s] >> 32));
            packer_.pack_in_order(slot_w_.data(), slots_per_node, gpus_per_node, slot_pack_.data(), slot_rank_.data());
            for (int32_t s = 0; s < slots_per_node; ++s)
                slots_of(node)[slot_pack_[size_t(s)] * per_gpu + slot_rank_[size_t(s)]] =
                    local2log(node)[uint32_t(visits(node)[s])];
        }
        return;
    }
    with_tournament(gpus_per_node, [&](auto& first) {
        std::remove_reference_t<decltype(first)> second;
        int32_t node = 0;
        for (; node + 1 < nodes; node += 2) {
            first.reset(gpus_per_node, per_gpu);
            second.reset(gpus_per_node, per_gpu);
            const uint64_t *va = visits(node), *vb = visits(node + 1);
            const int32_t *la = local2log(node), *lb = local2log(node + 1);
            int32_t *oa = slots_of(node), *ob = slots_of(node + 1);
            for (int32_t i = 0; i < slots_per_node; ++i) {
                pack_visit(first, va[i], per_gpu, la, oa);
                pack_visit(second, vb[i], per_gpu, lb, ob);
            }
        }
        if (node < nodes) {
            first.reset(gpus_per_node, per_gpu);
            for (int32_t i = 0; i < slots_per_node; ++i)
                pack_visit(first, visits(node)[i], per_gpu, local2log(node), slots_of(node));
        }
    });
}

// The reference's steps literally, for one node (b null) or two: slot s < n holds expert s,
// the others follow D'Hondt's picks; the replicas (load / count) in the reference's order, ties
// included, or in slot order.
void DeepSeek::visit_nodes_literally(const float* wa, const float* wb, int32_t n, int32_t slots, bool slot_order,
                                     uint64_t* visits_a, uint64_t* visits_b) {
    slot_mlog_.resize(2 * size_t(slots));
    mlog_cnt_.resize(2 * size_t(n));
    int32_t *slot_a = slot_mlog_.data(), *slot_b = slot_a + slots;
    int32_t *count_a = mlog_cnt_.data(), *count_b = count_a + n;
    if (wb) replicator_.replicate_two(wa, wb, n, slots, slot_a, count_a, slot_b, count_b);
    else replicator_.replicate(wa, n, slots, slot_a, count_a);
    slot_w_.resize(size_t(slots));
    order_.resize(size_t(slots));
    for (int32_t node = 0; node < (wb ? 2 : 1); ++node) {
        const float* w = node ? wb : wa;
        const int32_t* slot = node ? slot_b : slot_a;
        const int32_t* count = node ? count_b : count_a;
        uint64_t* visits = node ? visits_b : visits_a;
        for (int32_t s = 0; s < slots; ++s) slot_w_[size_t(s)] = w[slot[s]] / float(count[slot[s]]);
        if (slot_order) {
            for (int32_t s = 0; s < slots; ++s) visits[s] = heavier_first(slot_w_[size_t(s)], uint32_t(slot[s]));
            continue;
        }
        reference_order_descending(slot_w_.data(), slots, keys_, stops_, order_.data());
        for (int32_t i = 0; i < slots; ++i) {
            const int32_t s = order_[size_t(i)];
            visits[i] = heavier_first(slot_w_[size_t(s)], uint32_t(slot[s]));
        }
    }
}

// The common case, with one sort: the experts sorted by load once serve both steps. D'Hondt
// gives every extra slot to one of the `extra` heaviest experts (ties: lower index), so its picks
// scan those only; the replicas' visiting order is then the experts' order with the replicated
// experts moved to their new load (load / count), a merge. Replicas of one expert are
// interchangeable, so this equals the reference unless two experts' replicas weigh the same;
// then it returns false. Keys are (load bits, expert) integers throughout, compared with
// conditional moves rather than branches.
bool DeepSeek::visit_node_sorted(const float* w, int32_t n, int32_t slots, uint64_t* visits) {
    const int32_t extra = slots - n;
    if (extra >= n || extra > 64) return false;
    keys_.resize(size_t(2 * n));
    uint64_t* key = keys_.data();
    for (int32_t j = 0; j < n; ++j) key[j] = heavier_first(w[j], uint32_t(j));
    if (!sort_distinct_keys(key, n)) sort_keys(key, key + n, n);

    // Step 2: candidate k is the k-th heaviest expert; its value key (load / count bits, ~expert)
    // makes the largest key the reference's first maximum.
    cand_.resize(size_t(extra));
    mlog_cnt_.assign(size_t(extra), 1);
    for (int32_t k = 0; k < extra; ++k) {
        const uint32_t e = uint32_t(key[k]);
        cand_[size_t(k)] = (uint64_t(float_bits(w[e])) << 32) | ~e;
    }
    for (int32_t s = 0; s < extra; ++s) {
        int32_t best = 0;
        uint64_t top = cand_[0];
        for (int32_t k = 1; k < extra; ++k) {
            const bool larger = cand_[size_t(k)] > top;
            top = larger ? cand_[size_t(k)] : top;
            best = larger ? k : best;
        }
        const uint32_t e = ~uint32_t(top);
        cand_[size_t(best)] = (uint64_t(float_bits(w[e] / float(++mlog_cnt_[size_t(best)]))) << 32) | ~e;
    }

    // Step 3's visiting order: the unreplicated experts in sorted order, merged with the
    // replicated ones at their new load, each as many times as it has replicas.
    head_.resize(size_t(n + 1));
    int32_t heads = 0;
    for (int32_t k = 0; k < n; ++k) {
        head_[size_t(heads)] = key[k];
        heads += k >= extra || mlog_cnt_[size_t(k)] == 1;
    }
    replicas_.resize(size_t(2 * extra + 1));
    int32_t reps = 0;  // one key per replica of the replicated experts, sorted (insertion: few)
    for (int32_t k = 0; k < extra; ++k) {
        const int32_t c = mlog_cnt_[size_t(k)];
        if (c == 1) continue;
        const uint32_t e = uint32_t(key[k]);
        const uint64_t v = heavier_first(w[e] / float(c), e);
        for (int32_t copy = 0; copy < c; ++copy) {
            int32_t at = reps++;
            for (; at > 0 && replicas_[size_t(at - 1)] > v; --at) replicas_[size_t(at)] = replicas_[size_t(at - 1)];
            replicas_[size_t(at)] = v;
        }
    }
    constexpr uint64_t none = ~uint64_t(0);  // ends both lists
    head_[size_t(heads)] = none;
    replicas_[size_t(reps)] = none;

    bool tie = false;
    int32_t x = 0, y = 0;
    uint64_t last = none;
    for (int32_t i = 0; i < slots; ++i) {
        const uint64_t u = head_[size_t(x)], v = replicas_[size_t(y)];
        const bool take_replica = v < u;
        const uint64_t k = take_replica ? v : u;
        x += !take_replica;
        y += take_replica;
        tie |= i > 0 && (k >> 32) == (last >> 32) && uint32_t(k) != uint32_t(last);
        last = k;
        visits[i] = k;
    }
    return !tie;
}

}  // namespace eplb::detail

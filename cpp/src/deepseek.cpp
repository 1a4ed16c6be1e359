#include "deepseek.hpp"

#include "float_bits.hpp"

namespace eplb::detail {

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

    node_w_.resize(size_t(experts_per_node));
    for (int32_t node = 0; node < nodes; ++node) {
        const int32_t* local2log = mlog2log_.data() + node * experts_per_node;
        for (int32_t j = 0; j < experts_per_node; ++j) node_w_[size_t(j)] = w_[size_t(local2log[j])];
        place_node(node_w_.data(), experts_per_node, slots_per_node, gpus_per_node, local2log,
                   out.phy2log + node * slots_per_node);
    }
}

void DeepSeek::place_node(const float* w, int32_t n, int32_t slots, int32_t gpus, const int32_t* local2log,
                          int32_t* out) {
    if (place_node_sorted(w, n, slots, gpus, local2log, out)) return;
    // The reference's steps literally: slot s < n holds expert s, the others follow D'Hondt's
    // picks; replicas (load / count) packed in the reference's order, ties included.
    slot_mlog_.resize(size_t(slots));
    mlog_cnt_.resize(size_t(n));
    replicator_.replicate(w, n, slots, slot_mlog_.data(), mlog_cnt_.data());
    slot_w_.resize(size_t(slots));
    for (int32_t s = 0; s < slots; ++s) {
        const int32_t j = slot_mlog_[size_t(s)];
        slot_w_[size_t(s)] = w[j] / float(mlog_cnt_[size_t(j)]);
    }
    slot_pack_.resize(size_t(slots));
    slot_rank_.resize(size_t(slots));
    packer_.pack(slot_w_.data(), slots, gpus, slot_pack_.data(), slot_rank_.data(), slot_mlog_.data());
    const int32_t per_gpu = slots / gpus;
    for (int32_t s = 0; s < slots; ++s)
        out[slot_pack_[size_t(s)] * per_gpu + slot_rank_[size_t(s)]] = local2log[slot_mlog_[size_t(s)]];
}

// The common case, with one sort: the experts sorted by load once serve both steps. D'Hondt
// gives every extra slot to one of the `extra` heaviest experts (ties: lower index), so its picks
// scan those only; the replicas' visiting order is then the experts' order with the replicated
// experts moved to their new load (load / count), a merge. Replicas of one expert are
// interchangeable, so this equals the reference unless two experts' replicas weigh the same;
// then it returns false and the literal steps run (and overwrite the node's slots). Keys are
// (load bits, expert) integers throughout, compared with conditional moves rather than branches.
bool DeepSeek::place_node_sorted(const float* w, int32_t n, int32_t slots, int32_t gpus,
                                 const int32_t* local2log, int32_t* out) {
    const int32_t extra = slots - n, per_gpu = slots / gpus;
    if (per_gpu == 1 || extra >= n || extra > 64 || gpus > kTournamentMaxPacks) return false;
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

    // Step 3 in its visiting order: the unreplicated experts in sorted order, merged with the
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

    // Packed as visited; when two experts tie the literal steps overwrite the node's slots.
    bool tie = false;
    with_tournament(gpus, [&](auto& packs) {
        packs.reset(gpus, per_gpu);
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
            int32_t rank;
            const int32_t gpu = packs.add(float_value(~uint32_t(k >> 32)), rank);
            out[gpu * per_gpu + rank] = local2log[uint32_t(k)];
        }
    });
    return !tie;
}

}  // namespace eplb::detail

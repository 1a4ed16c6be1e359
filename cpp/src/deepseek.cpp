#include "deepseek.hpp"

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
    const int32_t slots_per_gpu = int32_t(t.replicas / t.gpus);

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
    slot_mlog_.resize(size_t(slots_per_node));
    mlog_cnt_.resize(size_t(experts_per_node));
    slot_w_.resize(size_t(slots_per_node));
    slot_pack_.resize(size_t(slots_per_node));
    slot_rank_.resize(size_t(slots_per_node));
    for (int32_t node = 0; node < nodes; ++node) {
        const int32_t* local2log = mlog2log_.data() + node * experts_per_node;
        // Step 2: replicate inside the node.
        for (int32_t j = 0; j < experts_per_node; ++j) node_w_[size_t(j)] = w_[size_t(local2log[j])];
        replicator_.replicate(node_w_.data(), experts_per_node, slots_per_node, slot_mlog_.data(),
                              mlog_cnt_.data());
        // Step 3: replicas, weighted load / count, onto the node's GPUs.
        for (int32_t s = 0; s < slots_per_node; ++s) {
            const int32_t j = slot_mlog_[size_t(s)];
            slot_w_[size_t(s)] = node_w_[size_t(j)] / float(mlog_cnt_[size_t(j)]);
        }
        packer_.pack(slot_w_.data(), slots_per_node, gpus_per_node, slot_pack_.data(), slot_rank_.data(),
                     slot_mlog_.data());
        int32_t* node_slots = out.phy2log + node * slots_per_node;
        for (int32_t s = 0; s < slots_per_node; ++s)
            node_slots[slot_pack_[size_t(s)] * slots_per_gpu + slot_rank_[size_t(s)]] =
                local2log[slot_mlog_[size_t(s)]];
    }
}

}  // namespace eplb::detail

#pragma once
#include <vector>

#include "algorithm.hpp"
#include "reference/packer.hpp"
#include "reference/pack_tournament.hpp"
#include "reference/replicate.hpp"

namespace eplb::detail {

// DeepSeek's reference EPLB, reproduced exactly (SPEC section 3): groups packed onto nodes,
// D'Hondt replication inside each node, replicas packed onto the node's GPUs. The global policy is
// the same with one group and one node.
class DeepSeek : public Algorithm {
public:
    void place(const LayerInput& in, LayerOutput out) override;

private:
    // Step 2 and the order of step 3 for one node: its experts' loads w[n] replicated onto
    // `slots` slots, the replicas in the order the reference packs them, as keys
    // heavier_first(load / count, local expert) in visits[slots]. The sorted variant returns
    // false when it cannot give the reference's order; the literal one does one node or two
    // (wb and visits_b null for one), and with `slot_order` keeps the slots' own order (the
    // reference's packing with one slot per GPU).
    bool visit_node_sorted(const float* w, int32_t n, int32_t slots, uint64_t* visits);
    void visit_nodes_literally(const float* wa, const float* wb, int32_t n, int32_t slots, bool slot_order,
                               uint64_t* visits_a, uint64_t* visits_b);
    void pack_nodes(int32_t nodes, int32_t experts_per_node, int32_t slots_per_node, int32_t gpus_per_node,
                    int32_t* phy2log);

    DeepSeekPacker packer_;
    Replicator replicator_;
    std::vector<float> w_, group_w_, node_w_, slot_w_;
    std::vector<int32_t> group_pack_, group_rank_, mlog2log_, slot_mlog_, mlog_cnt_, slot_pack_, slot_rank_, order_,
        stops_, literal_;
    std::vector<uint64_t> keys_, cand_, head_, replicas_, visits_;
};

}  // namespace eplb::detail

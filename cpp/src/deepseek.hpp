#pragma once
#include <vector>

#include "algorithm.hpp"
#include "pack.hpp"
#include "pack_tournament.hpp"
#include "replicate.hpp"

namespace eplb::detail {

// DeepSeek's reference EPLB, reproduced exactly (SPEC section 3): groups packed onto nodes,
// D'Hondt replication inside each node, replicas packed onto the node's GPUs. The global policy is
// the same with one group and one node.
class DeepSeek : public Algorithm {
public:
    void place(const LayerInput& in, LayerOutput out) override;

private:
    // Steps 2 and 3 for one node: its experts' loads w[n] onto `gpus` GPUs of `slots / gpus`
    // slots each; writes the node's slots (global expert ids through local2log).
    void place_node(const float* w, int32_t n, int32_t slots, int32_t gpus, const int32_t* local2log,
                    int32_t* out);
    bool place_node_sorted(const float* w, int32_t n, int32_t slots, int32_t gpus, const int32_t* local2log,
                           int32_t* out);

    BalancedPacker packer_;
    Replicator replicator_;
    std::vector<float> w_, group_w_, node_w_, slot_w_;
    std::vector<int32_t> group_pack_, group_rank_, mlog2log_, slot_mlog_, mlog_cnt_, slot_pack_, slot_rank_;
    std::vector<uint64_t> keys_, cand_, head_, replicas_;
};

}  // namespace eplb::detail

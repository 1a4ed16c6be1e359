#pragma once
#include <vector>

#include "algorithm.hpp"
#include "pack.hpp"
#include "replicate.hpp"

namespace eplb::detail {

// DeepSeek's reference EPLB, reproduced exactly (SPEC section 3): groups packed onto nodes,
// D'Hondt replication inside each node, replicas packed onto the node's GPUs. The global policy is
// the same with one group and one node.
class DeepSeek : public Algorithm {
public:
    void place(const LayerInput& in, LayerOutput out) override;

private:
    BalancedPacker packer_;
    Replicator replicator_;
    std::vector<float> w_, group_w_, node_w_, slot_w_;
    std::vector<int32_t> group_pack_, group_rank_, mlog2log_, slot_mlog_, mlog_cnt_, slot_pack_, slot_rank_;
};

}  // namespace eplb::detail

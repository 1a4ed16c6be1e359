#pragma once
#include <memory>
#include <vector>

#include "algorithm.hpp"
#include "layout.hpp"

namespace eplb::detail {

// The hierarchical policy on a NodeLayout (nodes of unequal sizes after failures, or groups that
// do not divide the nodes): whole groups per node in unequal numbers, then each node placed as a
// problem of its own.
//  1. Groups onto nodes (LayoutGroups): the heaviest node's load per GPU (and T* of its experts
//     on its slots) as low as can be found, each node taking from one group up to as many as its
//     live slots hold. With a placement in service that keeps every group on one node within
//     those limits, its map is kept (moving a group moves all its replicas).
//  2. Each node: its groups' experts on its GPUs, by the wrapped algorithm's global policy (the
//     balanced algorithms' packing and search, the history path, the incremental mode with the
//     node's part of the placement in service where the node keeps its groups). A move budget
//     (max_moves) is shared out over the nodes in proportion to their slots.
class NodeSplit : public Algorithm {
public:
    explicit NodeSplit(std::unique_ptr<Algorithm> inner) : inner_(std::move(inner)) {}
    void place(const LayerInput& in, LayerOutput out) override;
    bool supports(Policy p) const override { return p == Policy::hierarchical; }
    bool supports_uneven() const override { return true; }

private:
    std::unique_ptr<Algorithm> inner_;
    LayoutGroups groups_;
    std::vector<Options> options_;  // per node (the budget's share)
    std::vector<int32_t> cap_, node_of_group_, prev_node_, experts_, local_of_, local_prev_, local_out_, group_count_;
    std::vector<double> group_w_, local_w_, local_windows_;
    std::vector<const double*> rows_;
    // Whether the layer's placement in service keeps every group on one node within cap_;
    // fills prev_node_ (-1 for a group split over nodes).
    bool previous_map(const LayerInput& in);
};

}  // namespace eplb::detail

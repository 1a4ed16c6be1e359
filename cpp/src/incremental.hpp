#pragma once
// Migration-aware rebalancing (issue 8): given the placement in service, keep experts in their
// slots wherever that costs little balance.
//
// Default mode (no tolerance, no max_moves; global and hierarchical): drift_place() keeps the
// placement in service when within the targets, else re-pairs groups only for a clear node gain,
// redoes the replica counts (D'Hondt per node) and repairs by swaps. Otherwise, per layer,
// candidates:
//  - fresh: the wrapped algorithm's placement for the new loads, relabelled to the previous one
//    (nodes, then GPUs inside nodes, matched by an assignment that maximises the slots whose expert
//    stays; then slots inside each GPU), which leaves every GPU load unchanged;
//  - repair: the previous placement with the new loads, improved greedily by single slot changes
//    (a slot takes another expert: replica counts change) and swaps of two slots, each step the one
//    that lowers the bottleneck most per moved slot, within the policy (hierarchical: groups stay
//    on their node; hybrid: every expert keeps a replica on its group's home node), never putting
//    two replicas of an expert on one GPU, until the busiest GPU, the largest robust GPU load
//    (see robust_kappa) and the heaviest replica are within the tolerance of the fresh placement's,
//    the move budget is spent or no move helps;
//  - when the repair misses the target: the previous placement with D'Hondt replica counts for
//    the new loads (recount), then repaired; and, hierarchical only, when the busiest node's own
//    load is the obstacle, one group of that node swapped with a group of another node (the
//    exchange the fresh placement made, if it differs from the previous pairing by one), then
//    repaired;
//  - hierarchical only: a per-node mix, each node taken from whichever candidate holds the same
//    groups there as the fresh placement, is within the targets and moves the fewest slots.
// The output is the candidate with the fewest moved slots among those within the tolerance (else
// the better balanced one), never more moved slots than the budget.
#include <memory>
#include <vector>

#include "algorithm.hpp"

namespace eplb::detail {

// Default tolerance: the busiest GPU may be this fraction above the fresh placement's.
constexpr double default_tolerance = 0.005;
// Default mode (previous placement, no tolerance, no max_moves): see Incremental::drift_place.
// Re-pair groups and nodes when the busiest node drops by more than this fraction of a node's mean.
constexpr double kRepairGain = 0.015;
// The busiest GPU may be this much above max(fresh placement's busiest GPU, busiest node per GPU).
constexpr double kDriftTolerance = 0.006;
// ... and no GPU this much above its own node's mean load per GPU.
constexpr double kNodeSlack = 0.04;
// The placement in service is kept unchanged if its GPUs are within those targets and its heaviest
// replica at most this much heavier than with the replica counts redone.
constexpr double kReplicaSlack = 10;
// The heaviest replica may be this much heavier than the fresh placement's.
inline double rep_tolerance(double tol) { return 20 * tol; }
// The busiest GPU may be this much busier than the fresh placement's.
inline double load_tolerance(double tol) { return tol; }
// Robust GPU load: load + kappa * sqrt(sum of squared replica loads), about the load a GPU reaches
// when its experts' loads drift by a few tens of percent independently; kept within the tolerance
// of the fresh placement's largest robust load.
inline double robust_kappa() { return 0.3; }

// What the last layers chose; for benchmarks and tests.
struct IncrementalStats {
    int64_t layers = 0, repaired = 0, fresh = 0, mixed = 0, repaired_moves = 0, fresh_moves = 0, mixed_moves = 0,
            repair_failed_moves = 0;
};
// Totals over all calls in this process (not thread-safe; for the timeline benchmark).
IncrementalStats& incremental_totals();

class Incremental : public Algorithm {
public:
    explicit Incremental(std::unique_ptr<Algorithm> inner) : inner_(std::move(inner)) {}
    void place(const LayerInput& in, LayerOutput out) override;
    bool supports(Policy p) const override { return inner_->supports(p); }
    const IncrementalStats& stats() const { return stats_; }

private:
    struct Maxima {
        double load = 0, robust = 0, replica = 0;
    };
    struct Targets {
        double load = 0, robust = 0, replica = 0, kappa = 0;
    };
    // The busiest GPU, the largest robust GPU load and the heaviest replica of `row` (loads w_).
    Maxima maxima(const int32_t* row, double kappa);
    // Writes `fresh` relabelled to keep as many slots of `prev` as possible into `out`.
    void relabel(const int32_t* fresh, const int32_t* prev, int32_t* out);
    // True if `prev` satisfies the policy; fills group_node_ (hierarchical: the node of each group;
    // hybrid: each group's home node).
    bool policy_holds(const int32_t* prev);
    // Greedy repair of `prev` into `out`; returns its moved slots.
    int64_t repair(const int32_t* start, const int32_t* prev, int32_t* out, const Targets& targets, int64_t budget);
    // Hierarchical: `prev` with one group of the busiest node swapped with a group of another node
    // (the swap that evens the two nodes best), if the busiest node is what blocks `load_target`.
    // `prev` with D'Hondt replica counts for the new loads: surplus replicas leave the busiest
    // GPUs, missing ones go to the lightest GPUs with a free slot; groups stay on their nodes.
    void anchor(const int32_t* prev, int32_t* out);
    bool swap_groups(const int32_t* prev, int32_t* out, double load_target, int32_t pref1 = -1, int32_t pref2 = -1);
    // Hierarchical: the exchange of two groups of different nodes that lowers the busiest node
    // most (group_node_ holds the current map); false if none lowers it.
    bool best_group_swap(int32_t& g1, int32_t& g2, double& before, double& after);
    // Default mode: re-pair groups only when that clearly pays (kRepairGain), redo the replica
    // counts (D'Hondt per node), then swap slots until the GPU targets hold.
    void drift_place(const int32_t* prev, double fresh_load, int32_t* out);
    // Hierarchical: gpu_scale_ so that each node's GPUs are held to min(target, node's mean load
    // per GPU * (1 + kNodeSlack)); otherwise cleared.
    void node_scales(double target);

    std::unique_ptr<Algorithm> inner_;
    IncrementalStats stats_;

    // Per-layer context.
    const double* w_ = nullptr;
    int32_t E_ = 0, R_ = 0, G_ = 0, N_ = 0, spg_ = 0, spn_ = 0, gpn_ = 0, group_size_ = 1, groups_ = 1;
    Policy policy_ = Policy::global;

    std::vector<int32_t> start_, fresh_, relabelled_, repaired_, swapped_, alt_, mixed_;
    std::vector<std::vector<int32_t>> pool_;
    std::vector<double> gpu_load_;
    // Relabelling buffers.
    std::vector<int32_t> count_, unit_map_, assign_, tmp_;
    std::vector<int64_t> weight_;
    // Repair state.
    std::vector<int32_t> order_, x_, cnt_, head_, next_, group_node_, home_cnt_, touched_, region_experts_;
    std::vector<double> load_, sq_, delta_, dsq_;
    std::vector<char> is_touched_;
    // Per node: multiplier of the load targets' inverse (empty: 1 everywhere).
    std::vector<double> gpu_scale_;
    // Repair by swaps only (replica counts stay as given).
    bool swaps_only_ = false;
};

// Maximum-weight perfect assignment on an n x n matrix of non-negative integers (row-major):
// assign[i] = column of row i. Exact (Hungarian) for n <= 128, greedy above. Deterministic.
void max_weight_assignment(const std::vector<int64_t>& weight, int32_t n, std::vector<int32_t>& assign);

}  // namespace eplb::detail

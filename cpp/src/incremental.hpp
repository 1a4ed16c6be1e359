#pragma once
// Migration-aware rebalancing (issue 8): given the placement in service, keep experts in their
// slots wherever that costs little balance.
//
// Default mode (no tolerance, no max_moves; global and hierarchical policies): drift_place().
// Otherwise, per layer, candidates:
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
#include "deepseek.hpp"
#include "scenario_packer.hpp"
#include "scenarios.hpp"

namespace eplb::detail {

// Default tolerance: the busiest GPU may be this fraction above the fresh placement's.
constexpr double default_tolerance = 0.005;
// Default mode (previous placement, no tolerance, no max_moves), see Incremental::drift_place.
// The placement in service is kept when no GPU is this much above the fresh placement's busiest.
constexpr double kKeepTolerance = 0.006;
// Decisions are made on w^kShrink (rescaled to the layer's total): regression to the mean.
constexpr double kShrink = 0.95;
// A new group-to-node map must lower the soft maximum of the node loads (scale kNodeSoftness *
// node mean) by more than kRepairGain of a node's mean per exchange of two groups.
constexpr double kRepairGain = 0.012;
constexpr double kNodeSoftness = 0.03;
// Group-to-node maps are enumerated up to this many; above, one exchange at most.
constexpr int64_t kMaxPairings = 20000;
// An expert takes a replica of another when its replica load exceeds the other's (without that
// replica) by more than this fraction.
constexpr double kRecountMargin = 0.1;
// Swaps must lower the soft maximum of the GPU loads (scale kGpuSoftness * mean GPU load) by more
// than kMoveCost * mean GPU load per moved slot; the kGivers busiest GPUs give.
constexpr double kGpuSoftness = 0.02;
constexpr double kMoveCost = 0.0002;
constexpr int32_t kGivers = 16;
// With a history (two or more scenarios), default mode: an exchange of the packer must lower the
// sum over scenarios and GPUs of squared GPU loads by more than this many squared mean GPU loads
// (per scenario) for each slot it moves (docs/migration.md: how it was chosen).
constexpr double kScenarioMoveCost = 0.0002;
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

    // Default mode: keep the placement in service if its busiest GPU is within kKeepTolerance of
    // that of DeepSeek's placement for the new loads (`reference_load`); else, on the shrunk loads, a new group-to-node map where it clearly pays
    // (hierarchical), replica counts towards D'Hondt's (lazy_recount), then swaps that lower the
    // soft maximum of the GPU loads by more than their cost (soft_swaps).
    void drift_place(const int32_t* prev, double reference_load, int32_t* out);
    // Default mode with a history: the group-to-node map and replica counts as in drift_place,
    // decided on the scenarios' mean; then the ScenarioPacker's exchanges from that start, each
    // paying kScenarioMoveCost per moved slot.
    void scenario_drift(const int32_t* prev, int32_t* out);
    // drift_place's step 3 on start_ (hierarchical).
    bool remap_groups();
    // Hierarchical, few groups: into `target`, the node of each group minimising the soft maximum
    // of the node loads plus mu per group that moves; false if there are too many maps to try.
    bool best_pairing(double mu, std::vector<int32_t>& target);
    // Hierarchical: the exchange of two groups of different nodes that lowers the soft maximum of
    // the node loads most, and that gain over a node's mean; false if none lowers it.
    bool best_group_swap(int32_t& g1, int32_t& g2, double& gain);
    static double soft_max(const std::vector<double>& v, double scale);
    // Replica counts of `x` towards D'Hondt's where that clearly pays; returns the changes.
    int64_t lazy_recount(int32_t* x);
    // Swaps in `x` that lower the soft maximum of the GPU loads by more than their cost; returns the
    // moved slots of `x` against `prev`.
    int64_t soft_swaps(int32_t* x, const int32_t* prev);

    std::unique_ptr<Algorithm> inner_;
    DeepSeek reference_;  // the keep test's yardstick in the default mode
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
    std::vector<double> shrunk_;
    Scenarios scenarios_;
    ScenarioPacker packer_;
    std::vector<int32_t> block_;
};

// Maximum-weight perfect assignment on an n x n matrix of non-negative integers (row-major):
// assign[i] = column of row i. Exact (Hungarian) for n <= 128, greedy above. Deterministic.
void max_weight_assignment(const std::vector<int64_t>& weight, int32_t n, std::vector<int32_t>& assign);

}  // namespace eplb::detail

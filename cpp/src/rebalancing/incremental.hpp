#pragma once
// Migration-aware rebalancing: given the placement in service, keep experts in their
// slots wherever that costs little balance.
//
// Default mode (no tolerance, no max_moves; global and hierarchical policies): drift_place(), or
// scenario_drift() with a history. Otherwise (the bounded mode), per layer, candidates:
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
//    the new loads (recount_replicas), then repaired; and, hierarchical only, when the busiest node's own
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
#include "rebalancing/assignment.hpp"
#include "reference/deepseek.hpp"
#include "rebalancing/incremental_repair.hpp"
#include "rebalancing/incremental_tuning.hpp"
#include "scenarios/scenario_packer.hpp"
#include "scenarios/scenarios.hpp"

namespace eplb::detail {

// What the last layers chose; for benchmarks and tests.
struct IncrementalStats {
    int64_t layers = 0, repaired = 0, fresh = 0, mixed = 0, repaired_moves = 0, fresh_moves = 0, mixed_moves = 0,
            repair_failed_moves = 0;
    IncrementalStats& operator+=(const IncrementalStats& o);
};

// How a layer is placed, decided from the options (Options keeps its -1 sentinels: none given).
enum class IncrementalMode {
    fresh,    // no placement in service: the wrapped algorithm's placement
    drift,    // no tolerance, no max_moves, global or hierarchical: drift_place / scenario_drift
    bounded,  // a tolerance or a move budget (or the hybrid policy): the candidates above
};
struct IncrementalPlan {
    IncrementalMode mode = IncrementalMode::fresh;
    double tolerance = 0;  // bounded (and drift when the policy breaks): the tolerance used
    int64_t budget = 0;    // the most moved slots a layer may have
};
IncrementalPlan incremental_plan(const Options& o, bool has_previous, Policy policy);

// rebalance() that also adds the incremental mode's stats of the call to `stats` (rebalance.cpp;
// for the timeline benchmark).
Placement rebalance_counted(const xt::xtensor<double, 2>& weights, const Topology& topology, const Options& options,
                            IncrementalStats& stats);

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
    using Targets = RepairTargets;
    enum class Chosen { repaired, mixed, fresh };
    // The state of the bounded mode's candidate search in one layer.
    struct Search {
        const int32_t* prev = nullptr;
        Targets tg;
        int64_t budget = 0, moves_f = 0, moves_r = 0, moves_m = 0;
        bool fresh_ok = false, repair_meets = false;
        size_t pooled = 0;  // repair results kept in pool_ for the per-node mix
    };

    void set_layer(const LayerInput& in);
    void record(Chosen c, int64_t moves, int64_t failed_moves = 0);
    // The busiest GPU, the largest robust GPU load and the heaviest replica of `row` (loads w_).
    Maxima maxima(const int32_t* row, double kappa);
    bool meets(const int32_t* row, const Targets& tg);
    int64_t moved(const int32_t* row, const int32_t* prev) const;
    // Writes `fresh` relabelled to keep as many slots of `prev` as possible into `out`.
    void relabel(const int32_t* fresh, const int32_t* prev, int32_t* out);
    // True if `prev` satisfies the policy; fills group_node_ (hierarchical: the node of each group;
    // hybrid: each group's home node).
    bool policy_holds(const int32_t* prev);
    // Greedy repair of `start` into `out` (RepairSearch); returns its moved slots against `prev`.
    int64_t repair(const int32_t* start, const int32_t* prev, int32_t* out, const Targets& targets, int64_t budget);
    // `prev` with D'Hondt replica counts for the new loads: surplus replicas leave the busiest
    // GPUs, missing ones go to the lightest GPUs with a free slot; groups stay on their nodes.
    void recount_replicas(const int32_t* prev, int32_t* out);
    // Hierarchical: `prev` with one group of the busiest node swapped with a group of another node
    // (the swap that evens the two nodes best), if the busiest node is what blocks `load_target`.
    bool swap_groups(const int32_t* prev, int32_t* out, double load_target, int32_t pref1 = -1, int32_t pref2 = -1);

    // The bounded mode: the fresh placement relabelled, the repairs, the per-node mix; the choice.
    void bounded_place(const LayerInput& in, const IncrementalPlan& plan, int32_t* out);
    // The repair of `prev`, then of the recount and of the group exchange where it misses.
    void search_repairs(Search& s);
    // Repairs `start` (swapped_) into alt_; keeps it in repaired_ if it meets the targets or has
    // the lighter busiest GPU.
    void try_start(Search& s);
    // The exchange of two groups that takes the previous pairing to the fresh one, if there is one.
    void fresh_exchange(int32_t& pref1, int32_t& pref2);
    // Hierarchical: the per-node mix of the fresh placement and the pooled repairs, in mixed_.
    void mix_nodes(Search& s);
    // Keeps a repair result in pool_ for the per-node mix.
    void pool(Search& s, const std::vector<int32_t>& row);
    bool node_meets(const std::vector<int32_t>& row, int32_t lo, int32_t hi, const Targets& tg, std::vector<int32_t>& cnt);

    // Default mode: keep the placement in service if its busiest GPU is within kKeepTolerance of
    // that of DeepSeek's placement for the new loads (`reference_load`); else, on the shrunk loads,
    // a new group-to-node map where it clearly pays (hierarchical), replica counts towards D'Hondt's
    // (lazy_recount), then swaps that lower the soft maximum of the GPU loads by more than their
    // cost (soft_swaps).
    void drift_place(const int32_t* prev, double reference_load, int32_t* out);
    // drift_place's step 1: no GPU of `prev` more than kKeepTolerance above `reference_load`.
    bool keeps(const int32_t* prev, double reference_load);
    // drift_place's steps 3 and 4, shared with scenario_drift.
    bool drift_start(const int32_t* prev);
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
    RepairSearch repair_;

    // Per-layer context.
    const double* w_ = nullptr;
    int32_t E_ = 0, R_ = 0, G_ = 0, N_ = 0, spg_ = 0, spn_ = 0, gpn_ = 0, group_size_ = 1, groups_ = 1;
    Policy policy_ = Policy::global;

    std::vector<int32_t> start_, fresh_, relabelled_, repaired_, swapped_, alt_, mixed_;
    std::vector<std::vector<int32_t>> pool_;
    // Relabelling buffers.
    std::vector<int32_t> count_, tmp_;
    std::vector<int64_t> weight_;
    // Drift state.
    std::vector<int32_t> order_, cnt_, group_node_;
    std::vector<double> shrunk_;
    Scenarios scenarios_;
    ScenarioPacker packer_;
    std::vector<int32_t> block_;
};

}  // namespace eplb::detail

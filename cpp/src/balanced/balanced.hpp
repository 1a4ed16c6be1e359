#pragma once
#include <vector>

#include "algorithm.hpp"
#include "balanced/apportion.hpp"
#include "balanced/bin_solver.hpp"
#include "reference/deepseek.hpp"
#include "layout.hpp"
#include "balanced/node_balancer.hpp"
#include "scenarios/scenario_placer.hpp"

namespace eplb::detail {

// Places groups onto nodes so that the heaviest node is as light as possible, `groups / nodes`
// groups per node: exhaustive branch and bound when small (8 groups on 4 nodes: 105 pairings),
// otherwise greedy plus pair swaps. node_of[groups] receives each group's node.
class GroupAssigner {
public:
    void assign(const double* group_load, int32_t groups, int32_t nodes, int32_t* node_of);
    // Whether the last assign() found the best assignment (search complete), and a lower bound on
    // the heaviest node of any assignment then (the best found, less the search's tolerance and
    // rounding of sums taken in another order).
    bool exact() const { return exact_; }
    double lightest_heaviest() const { return best_ - 2 * tol_; }

private:
    BinSolver solver_;
    std::vector<int32_t> cnt_, out_, order_, fill_, cur_;
    std::vector<double> load_;
    const double* gw_ = nullptr;
    int32_t groups_ = 0, nodes_ = 0, per_ = 0;
    int64_t steps_ = 0;
    double best_ = 0, tol_ = 0;
    bool exact_ = false;
    void search(int32_t k, double cur_max, int32_t* node_of);
};

// The recommended algorithm ("balanced") and its variants with other replication rules.
//  - groups onto nodes by GroupAssigner (hierarchical and hybrid policies);
//  - per node (or over all GPUs for the global policy), replica counts from `rule`, then the
//    BinSolver's packing and local search; with `joint`, counts keep changing during the search;
//  - hybrid: every expert starts with all its replicas on its group's node (the hierarchical
//    placement); a node-level search then lets extra replicas of the heaviest node's experts take
//    slots on other nodes (and moves counts) while that lowers the heaviest node, before packing
//    each node's replicas onto its GPUs;
//  - with `safety_net`, each layer also gets the reference placement and keeps whichever has the
//    lighter heaviest GPU, so it is never worse than the reference on any layer.
// Given a history of two or more windows, a layer is placed for all of them at once instead
// (ScenarioPlacer), and the safety net compares the sums over the windows of each window's
// heaviest GPU (the reference placing the windows' sum).
class Balanced : public Algorithm {
public:
    Balanced(Apportionment rule, bool joint, bool safety_net) : rule_(rule), joint_(joint), safety_net_(safety_net) {}
    void place(const LayerInput& in, LayerOutput out) override;
    bool supports(Policy) const override { return true; }
    bool supports_uneven() const override { return true; }

private:
    Apportionment rule_;
    bool joint_, safety_net_;
    Apportioner apportioner_;
    BinSolver solver_;
    GroupAssigner assigner_;
    NodeBalancer node_balancer_;
    ScenarioPlacer scenario_;
    DeepSeek reference_;
    DeepSeekPacker packer_;
    Replicator replicator_;
    std::vector<double> group_w_, node_w_, local_w_, item_, gpu_;
    std::vector<float> ref_group_w_, ref_w_, ref_slot_w_;
    std::vector<int32_t> node_of_group_, node_order_, local_, cnt_, out_, ref_, count_, ref_pack_, ref_rank_;
    std::vector<int32_t> ref_slot_, ref_cnt_, ref_slot_pack_, ref_slot_rank_;
    std::vector<int32_t> home_, hcnt_, rn_;
    std::vector<int32_t> node_m_, node_k_, node_first_, group_cap_;  // hybrid: per node
    LayoutGroups layout_groups_;
    void layout_start(const double* w, int32_t E, int32_t nodes, double target, double away_budget);

    // Both return the heaviest GPU's load.
    double place_nodes(const LayerInput& in, int32_t* phy2log, bool by_group);
    double place_hybrid(const LayerInput& in, int32_t* phy2log);
    void place_for_history(const LayerInput& in, LayerOutput out);
    // Replaces out with the reference's placement when `better` says it is better; returns whether it did.
    template <class Better>
    bool take_reference_if(const LayerInput& in, int32_t* phy2log, Better better);
    bool remove_duplicates(const double* w, int32_t E, int32_t* phy2log, int32_t R, int32_t G, int32_t nodes);
    bool reference_no_better(const LayerInput& in, bool by_group, double mine);
    double max_gpu_load(const double* w, int32_t E, const int32_t* phy2log, int32_t R, int32_t G);
};

}  // namespace eplb::detail

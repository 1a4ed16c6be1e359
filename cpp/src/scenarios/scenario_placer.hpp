#pragma once
// The balanced algorithms' placement for a load history of two or more windows: every window a
// scenario of the next one, the placement made even in all of them at once.
#include <cstdint>
#include <vector>

#include "algorithm.hpp"
#include "balanced/apportion.hpp"
#include "layout.hpp"
#include "scenarios/scenario_packer.hpp"
#include "scenarios/scenarios.hpp"

namespace eplb::detail {

// The hybrid policy serves at least this share of the load (the mean over the windows) on the
// experts' home nodes; within it, replicas go where they even the GPUs best.
constexpr double kMinHomeShare = 0.9;
// Passes of the packer over all pairs of GPUs (docs/algorithms.md: how the figure was chosen).
constexpr int32_t kScenarioPasses = 2;

// Groups onto nodes, groups / nodes per node, so that the sum over scenarios and nodes of the
// squared node loads is as small as can be found: branch and bound (a partial sum bounds every
// completion, as loads only add), started from a greedy assignment, within a step budget.
class ScenarioGroups {
public:
    // group_load: [groups][K]. node_of[groups] receives each group's node.
    void assign(const double* group_load, int32_t K, int32_t groups, int32_t nodes, int32_t* node_of);

private:
    const double* gl_ = nullptr;
    int32_t K_ = 0, groups_ = 0, nodes_ = 0, per_ = 0;
    int64_t steps_ = 0;
    double best_ = 0;
    std::vector<int32_t> order_, fill_, cur_;
    std::vector<double> load_;  // [nodes][K]
    void search(int32_t i, double partial, int32_t* node_of);
};

class ScenarioPlacer {
public:
    // Whether the layer has two or more windows with load: else the single-window path applies.
    bool applies(const LayerInput& in);
    // Places the layer (after applies() returned true); returns the sum over the scenarios of
    // each scenario's heaviest GPU.
    double place(const LayerInput& in, Apportionment rule, int32_t* phy2log);
    const Scenarios& scenarios() const { return sc_; }

private:
    Scenarios sc_;
    ScenarioPacker packer_;
    ScenarioGroups groups_;
    Apportioner apportioner_;
    std::vector<double> group_load_, local_w_;
    std::vector<int32_t> node_of_group_, block_of_, home_, count_, local_, local_count_, group_cap_;
    LayoutGroups layout_groups_;
};

}  // namespace eplb::detail

#pragma once
// Uneven clusters (docs/failures.md): the live GPUs of a topology with failed GPUs, as nodes of
// possibly unequal sizes, and groups onto such nodes in unequal numbers.
//
// One mechanism serves every algorithm and both paths (one window, a history): rebalance()
// places on the live GPUs only, renumbered in order ("compact"), then writes -1 into the slots of
// the failed GPUs ("expand"). The global policy needs nothing more (the live GPUs are a topology
// of their own). The hierarchical and hybrid policies see a NodeLayout whenever the nodes differ
// in size or the groups do not divide them: hierarchical then places each node as a problem of
// its own (NodeSplit), hybrid balances nodes by their load per GPU (Balanced, ScenarioPlacer).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "eplb/rebalance.hpp"
#include "eplb/topology.hpp"

namespace eplb::detail {

// Live GPUs in their nodes: node n holds GPUs [first_gpu[n], first_gpu[n + 1]) of the compact
// numbering, slots_per_gpu slots each. Nodes without a live GPU are left out.
struct NodeLayout {
    int32_t slots_per_gpu = 0;
    std::vector<int32_t> first_gpu;  // [nodes + 1]
    std::vector<int32_t> node_id;    // [nodes] the node's index in the topology (for messages)

    int32_t nodes() const { return int32_t(first_gpu.size()) - 1; }
    int32_t gpus() const { return first_gpu.empty() ? 0 : first_gpu.back(); }
    int32_t gpus_of(int32_t n) const { return first_gpu[size_t(n) + 1] - first_gpu[size_t(n)]; }
    int32_t first_slot(int32_t n) const { return first_gpu[size_t(n)] * slots_per_gpu; }
    int32_t slots_of(int32_t n) const { return gpus_of(n) * slots_per_gpu; }
    // Equal nodes: the layout of the reference (every node as large as the others).
    bool equal_nodes() const;
};

// The live part of a topology. Built (and the failed GPUs checked) once per rebalance call.
class LiveGpus {
public:
    // Throws InvalidInput for a GPU out of range or listed twice, every GPU failed, or fewer live
    // slots than experts.
    LiveGpus(const Topology& t, const std::vector<int64_t>& failed, int64_t experts);
    bool any_failed() const { return int32_t(live_.size()) < full_.gpus; }
    const NodeLayout& layout() const { return layout_; }
    // The topology the algorithms place on: the live GPUs, their nodes (one for the global policy).
    Topology compact(Policy policy) const;
    // Whether hierarchical / hybrid placement needs the layout (unequal nodes, or groups that do
    // not divide them); otherwise compact() is an ordinary topology of equal nodes.
    bool uneven() const { return !layout_.equal_nodes() || full_.groups % layout_.nodes() != 0; }
    // A row of the full topology's slots from one of the compact topology's (-1 on failed GPUs), and back.
    void expand(const int32_t* compact, int32_t* full) const;
    void compact_row(const int32_t* full, int32_t* compact) const;

private:
    Topology full_;
    std::vector<int32_t> live_;  // live GPUs, ascending
    NodeLayout layout_;
};

// The hybrid policy on a layout (Balanced, ScenarioPlacer). How each was chosen: docs/failures.md.
//  - Nodes are brought to within kLayoutNodeSlack of the mean load per GPU, not closer: a node
//    full with its own first replicas sheds load only by serving it away from home.
//  - At least kLayoutMinHomeShare of each layer's load is served on the experts' home nodes
//    (the floor is 0.85 for the file; 0.86 a layer leaves room for rounding, and the
//    home-node fraction of SPEC 4 counts a group's busiest node, never less than its home).
//  - NodeBalancer takes a replica from an expert only while its others weigh at most
//    kMaxReplicaShare of the target load per GPU: node loads alone do not see that a GPU cannot
//    hold one replica as heavy as its whole share.
constexpr double kLayoutNodeSlack = 0.005;
constexpr double kLayoutMinHomeShare = 0.86;
constexpr double kMaxReplicaShare = 0.7;

// The policy's limits on groups per node for a layout. Hierarchical: node n holds at most
// slots_of(n) / group_size groups, and every node at least one; throws InvalidInput naming the
// nodes that cannot hold their share when no assignment exists. Hybrid: the same, except that a
// node may take one group more than fits where the groups would not fit otherwise (its lightest
// experts are then homed on other nodes, see foster_experts); throws for fewer groups than nodes.
std::vector<int32_t> group_capacity(const NodeLayout& layout, int32_t groups, int32_t group_size, Policy policy);

// Groups onto the nodes of a layout, node n taking between 1 and cap[n] of them, so that the
// heaviest node per GPU is as light as can be found: branch and bound from a greedy start (a
// partial assignment bounds every completion, as loads only add), within a step budget. With
// `weights` (the layer's expert loads), a node is scored by the larger of its load per GPU and
// T* of its experts on its slots (the heaviest replica it must hold, SPEC 4): both bound its
// busiest GPU from below. node_of[groups] receives each group's node.
class LayoutGroups {
public:
    void assign(const double* group_load, int32_t groups, int32_t group_size, const NodeLayout& layout,
                const int32_t* cap, const double* weights, int32_t* node_of);
    // The hybrid policy: a node above `target` (load per GPU) sheds what is above by serving it
    // away from home, onto the nodes with free slots up to the target; the score is the level
    // all nodes can be brought to that way (at least the target) plus the load then served away,
    // per GPU. A node full with its own first replicas can shed load only that way, and a node
    // with free slots but too much load of its own cannot at all: this finds the map that needs
    // least of both. At most away_budget (group_load's units) may be served away: past it, the
    // level is the one the nodes reach with that much.
    void assign_hybrid(const double* group_load, int32_t groups, int32_t group_size, const NodeLayout& layout,
                       const int32_t* cap, double target, double away_budget, int32_t* node_of);

private:
    const double* gw_ = nullptr;
    const double* w_ = nullptr;
    bool hybrid_ = false;
    double target_ = 0, away_budget_ = 0;
    const NodeLayout* layout_ = nullptr;
    const int32_t* cap_ = nullptr;
    int32_t groups_ = 0, group_size_ = 0, nodes_ = 0;
    int64_t steps_ = 0;
    double best_ = 0, tol_ = 0;
    std::vector<int32_t> order_, fill_, cur_, empty_twin_;
    std::vector<double> load_, node_load_, local_;
    std::vector<int32_t> free_;
    double score(const int32_t* node_of_sorted, double bound);
    double hybrid_score(const double* load, const int32_t* free) const;
    double partial_score();
    void search(int32_t k, int32_t empty, int32_t* node_of);
};

// Hybrid policy on a layout: home[e] (in: each expert's group's node) is changed, for a node
// holding more experts than slots, for its lightest experts beyond its slots: each goes, heaviest
// first, to the node with the most slots left free by its own experts (ties: the lower node).
void foster_experts(const double* w, int32_t experts, const NodeLayout& layout, int32_t* home);

}  // namespace eplb::detail

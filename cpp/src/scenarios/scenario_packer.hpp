#pragma once
#include <cstdint>
#include <vector>

#include "scenarios/scenarios.hpp"

namespace eplb::detail {

// Blocks of up to this many GPUs pair every GPU with every other in a pass; larger ones pair
// each GPU with this many (docs/next-window.md).
constexpr int32_t kPairedGpus = 64;

// Packs replicas onto GPUs so that the GPU loads are even in every scenario at once. What it
// makes small is the sum, over scenarios and GPUs, of the squared GPU loads: each scenario's
// total is fixed, so that sum falls as every GPU comes closer to the mean in every scenario, and
// a placement even in all the windows of a history has no GPU that a swing like theirs overloads.
//  1. Greedy: replicas heaviest first (by their mean over the scenarios), each onto the GPU with
//     room where it adds least to the sum (the smallest dot product of the GPU's loads with the
//     replica's); a replica that had to join another of its expert is then exchanged away.
//  2. Passes over all pairs of GPUs: each pair exchanges the two replicas that lower the sum
//     most, if any does; until a pass changes nothing or `passes` passes are done.
// No GPU holds two replicas of an expert unless its block has fewer GPUs than the expert has
// replicas. Deterministic: fixed orders, ties to the lower index.
class ScenarioPacker {
public:
    struct Problem {
        const Scenarios* scenarios = nullptr;
        const int32_t* count = nullptr;  // [E] replicas of each expert, >= 1
        int32_t gpus = 0, slots_per_gpu = 0;
        // Blocks of consecutive GPUs (nodes of the hierarchical policy; one block otherwise):
        // the replicas of expert e stay on the GPUs of block block_of[e].
        int32_t gpus_per_block = 0;
        const int32_t* block_of = nullptr;
        // Hybrid policy (one block): each expert keeps a replica on its home node (home[e]; nodes
        // of gpus_per_node GPUs), and at most `away_budget` of the mean load (over the scenarios)
        // is served away from home. Null: no home nodes.
        const int32_t* home = nullptr;
        int32_t gpus_per_node = 0;
        // Nodes of unequal sizes (layout.hpp): node n holds GPUs [node_first_gpu[n],
        // node_first_gpu[n + 1]); null: nodes of gpus_per_node GPUs.
        const int32_t* node_first_gpu = nullptr;
        double away_budget = 0;
        int32_t passes = 0;  // the most passes over the GPU pairs
        // Migration-aware packing: start from `start` (slots as in phy2log, the counts of `count`)
        // instead of the greedy, and charge `move_cost` (in the units of the sum of squares, halved)
        // for each slot whose expert comes to differ from `previous` (a slot going back saves it).
        const int32_t* start = nullptr;
        const int32_t* previous = nullptr;
        double move_cost = 0;
    };
    void pack(const Problem& p, int32_t* phy2log);
    // Sum over the scenarios of each scenario's heaviest GPU, for the placement last packed.
    double mean_heaviest() const;

private:
    const Scenarios* sc_ = nullptr;
    int32_t K_ = 0, Kp_ = 0, E_ = 0, G_ = 0, S_ = 0, gpb_ = 0, gpn_ = 0;  // Kp_: K rounded up to 4
    const int32_t* home_ = nullptr;
    const int32_t* block_of_ = nullptr;
    const int32_t* previous_ = nullptr;
    double move_cost_ = 0;
    double away_ = 0, away_budget_ = 0;
    std::vector<double> rv_;      // [E][Kp] load of one replica in each scenario, zeros past K
    std::vector<double> square_, norm_;  // [E] |rv|^2, |rv|
    std::vector<double> rmean_;   // [E] its mean over the scenarios
    std::vector<double> load_;    // [G][Kp]
    std::vector<double> term_a_, term_b_, along_a_, along_b_;  // per slot of the pair (improve_pair)
    std::vector<int32_t> slot_, cnt_, limit_, occ_, at_home_, fill_;
    std::vector<uint32_t> version_;  // per GPU, bumped when its replicas change
    std::vector<uint64_t> settled_;  // per GPU pair: both versions when it last had no swap
    std::vector<std::pair<double, int32_t>> order_;

    const double* rv(int32_t e) const { return rv_.data() + size_t(e) * size_t(Kp_); }
    double* load(int32_t g) { return load_.data() + size_t(g) * size_t(Kp_); }
    int32_t& occupancy(int32_t e, int32_t g) { return occ_[size_t(e) * size_t(G_) + size_t(g)]; }
    std::vector<int32_t> node_of_gpu_, node_first_;  // [G], [nodes + 1]
    int32_t node(int32_t g) const { return node_of_gpu_[size_t(g)]; }
    void place(int32_t e, int32_t g);
    void greedy(const Problem& p);
    int32_t lightest_for(int32_t e, bool anchor);
    double swap_delta(int32_t sa, int32_t sb);
    void separate_duplicates();
    bool swap_allowed(int32_t sa, int32_t sb, double& away) const;
    bool improve_pair(int32_t a, int32_t b);
    void apply_swap(int32_t sa, int32_t sb, double away);
};

}  // namespace eplb::detail

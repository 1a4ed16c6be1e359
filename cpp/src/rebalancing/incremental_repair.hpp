#pragma once
// The incremental mode's greedy repair (see incremental.hpp): a start placement improved by single
// slot changes (a slot takes another expert: replica counts change) and swaps of two slots, each
// step the one that lowers the bottleneck most per moved slot, within the policy, until the GPU
// loads and the heaviest replica are within their targets, the move budget is spent or no move
// helps.
#include <cstdint>
#include <vector>

#include "eplb/rebalance.hpp"

namespace eplb::detail {

// What the repair must reach: the busiest GPU, the largest robust GPU load (load + kappa *
// sqrt(sum of squared replica loads)) and the heaviest replica.
struct RepairTargets {
    double load = 0, robust = 0, replica = 0, kappa = 0;
};

// The layer as the repair sees it.
struct RepairLayer {
    const double* w = nullptr;  // [E] loads
    int32_t E = 0, R = 0, G = 0, N = 1, spg = 0, spn = 0, gpn = 0, group_size = 1;
    Policy policy = Policy::global;
    const int32_t* group_node = nullptr;  // [groups] hierarchical: node of each group; hybrid: home node
};

class RepairSearch {
public:
    // Repairs `start` into `out` (R slots each); returns its moved slots against `prev`.
    int64_t run(const RepairLayer& layer, const int32_t* start, const int32_t* prev, int32_t* out, const RepairTargets& tg,
                int64_t budget);

private:
    // The move being chosen in one step: kind 0 none, 1 reassign (slot bs takes expert bt), 2 swap
    // (slots bs, bt), 3 exchange (slots bs, bs2 with bt, bt2).
    struct Step {
        double phi = 0, min_gain = 0, best = 0;
        bool gpu_phase = false;
        int32_t gs = 0, ea = 0, node = 0, slot_lo = 0, slot_hi = 0;
        int kind = 0;
        int32_t bs = -1, bt = -1, bs2 = -1, bt2 = -1;
    };

    void start_state(const int32_t* start);
    int64_t moved() const;
    double pressure(double l, double q) const;
    void recompute(int32_t g);
    void touch(int32_t g, double d, double dq);
    double settle();
    bool on_gpu(int32_t e, int32_t g) const;
    double eval_reassign(int32_t s, int32_t b, int32_t gstar);
    int changed(int32_t s, int32_t e) const { return e != prev_[s] ? 1 : 0; }
    void unlink(int32_t s, int32_t e);
    void link(int32_t s, int32_t e);
    int32_t home_of(int32_t e) const { return l_.group_node[size_t(e / l_.group_size)]; }
    bool may_leave(int32_t e, int32_t n) const;
    void do_swap(int32_t s, int32_t t);
    bool consider(double newmax_gpu, double newmax_rep, int64_t cost, int k, int32_t s, int32_t t);
    double rep_after(int32_t s, int32_t b) const;

    // One step's parts: the bottleneck (false when everything is within its target), the moves of
    // the heaviest replica, of the busiest GPU, the double exchanges, the unlocking swap.
    bool find_bottleneck();
    void replica_moves();
    void gpu_moves();
    void double_exchanges();
    bool unlock_swap();
    void apply_move();

    RepairLayer l_;
    const int32_t* prev_ = nullptr;
    bool hybrid_ = false, hier_ = false, dup_ok_ = false;
    double inv_t_ = 0, inv_s_ = 0, inv_r_ = 0, kappa_ = 0;
    int64_t budget_ = 0, diff_ = 0;
    Step st_;

    std::vector<int32_t> order_, x_, cnt_, head_, next_, home_cnt_, touched_, region_experts_;
    std::vector<double> load_, sq_, delta_, dsq_;
    std::vector<char> is_touched_;
};

}  // namespace eplb::detail

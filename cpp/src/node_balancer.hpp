#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace eplb::detail {

// The node-level step of the hybrid policy: which node holds how many replicas of each expert.
// Every expert keeps at least one replica on its home node (its group's node); the others may move.
// Starting from all replicas at home, a local search lowers the heaviest node while it can:
//  - a replica of an expert x on another node b becomes one more replica of an expert y of the
//    heaviest node (all of y's replicas get lighter; y's new replica is served from b);
//  - the same inside the heaviest node (a movable replica there changes expert);
//  - two movable replicas swap nodes.
// A replica is movable unless it is its expert's last one on the home node. No node holds more
// replicas of an expert than it has GPUs; each node keeps its number of slots. Deterministic,
// with a budget counted in candidate moves.
class NodeBalancer {
public:
    // w[E], home[E]; count[E] and rn[E * N] (replicas of expert e on node n at e * N + n, every
    // expert at least one on its home node) in and out. cap: the most replicas of one expert overall. With `counts`
    // false, only swaps (counts stay as given).
    // Stops once the heaviest node is within `slack` (relative) of the mean.
    void balance(const double* w, const int32_t* home, int32_t E, int32_t N, int32_t m, int32_t cap, bool counts,
                 int64_t budget, double slack, int32_t* count, int32_t* rn);

private:
    std::vector<double> load_, top_, r_, up_, dn_;  // r_ = w / c, up_ = w / (c + 1), dn_ = w / (c - 1)
    // Movable replicas of node n: movable_[n * E ...] by expert index (mov_begin(n), mov_end(n)),
    // sorted_[n * E ...] by weight ascending (nsrt_[n] of them); byr_: the experts with two or
    // more replicas (only they have movable ones) by weight.
    std::vector<int32_t> movable_, movable_start_, sorted_, nsrt_, byr_;
    std::vector<int32_t> multi_;  // the same experts by index
    std::vector<int32_t> home_list_, home_start_;  // experts by home node
    // Per expert: its two heaviest nodes other than the heaviest node if it lost a replica.
    struct XTop {
        double v1, v2;
        int32_t n1, n2;
    };
    // Per movable replica (parallel to movable_): its expert's replica weight, and how much
    // node h and its own node grow when the expert loses this replica.
    struct Movable {
        double r, on_h, on_b;
    };
    std::vector<Movable> mv_;
    std::vector<XTop> xtop_;
    struct Key {
        double v;
        int32_t e;
    };
    std::vector<Key> keys_, keys2_;
    const double* w_ = nullptr;
    const int32_t* home_ = nullptr;
    int32_t* cnt_ = nullptr;
    int32_t* rn_ = nullptr;
    int32_t E_ = 0, N_ = 0;
    double tol_ = 0;
    // New max over the nodes that change when one replica of x on node b becomes one of y.
    // Returns lh unless that max is below `best` and node h gets lighter.
    double count_move_max(int32_t x, int32_t b, int32_t y, int32_t h, double lh, double best) const;
    bool lighter(int32_t a, int32_t b) const { return r_[std::size_t(a)] < r_[std::size_t(b)] || (r_[std::size_t(a)] == r_[std::size_t(b)] && a < b); }
    int32_t mov_begin(int32_t n) const { return movable_start_[std::size_t(n)]; }
    int32_t mov_end(int32_t n) const { return movable_start_[std::size_t(n + N_)]; }
    void reposition(int32_t x, int32_t y);
    void apply_count_move(int32_t x, int32_t b, int32_t y);
    void refresh(int32_t e);
};

}  // namespace eplb::detail

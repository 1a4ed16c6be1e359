#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
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
    // Nodes of unequal sizes (layout.hpp): node n has gpus[n] GPUs (and at most that many replicas
    // of an expert), and what is balanced is each node's load per GPU, scaled to the largest node:
    // load * scale[n] with scale[n] = max(gpus) / gpus[n] (1 for every node of equal nodes, which
    // gives exactly the figures of the overload above).
    // An expert gives up a replica only while its others would weigh at most max_replica (w's
    // units): node loads alone do not see that a GPU cannot hold a replica much heavier than its
    // share. A move that serves load away from home (an expert with c replicas, k of them at
    // home, serves w (c - k) / c away) is made only while all that is served away stays within
    // away_budget. Infinity for both: no limits, as the overload above.
    void balance(const double* w, const int32_t* home, int32_t E, int32_t N, const int32_t* gpus, int32_t cap,
                 bool counts, int64_t budget, double slack, int32_t* count, int32_t* rn,
                 double max_replica = std::numeric_limits<double>::infinity(),
                 double away_budget = std::numeric_limits<double>::infinity());

private:
    // The best move of a step: kind 0 none, 1 swap (a movable replica of bx on the heaviest node
    // for one of by on bb), 2 count move (a replica of bx on bb becomes one of by), 3 the same on
    // the heaviest node; best: the heaviest node load it leads to.
    struct Move {
        double best = 0;
        int kind = 0;
        int32_t bx = -1, bb = -1, by = -1;
    };
    // balance's steps.
    double scale_nodes(const int32_t* gpus, double slack, double& total);
    void reload();
    void index_experts();
    int64_t index_movable(int32_t h);
    bool blocked(int32_t x, int32_t b, int32_t y, double best) const;
    void best_swap(int32_t h, double lh, Move& c, int64_t& work);
    void collect_keys(int32_t h, double lh, double best);
    void count_moves_elsewhere(int32_t h, double lh, Move& c, int64_t& work);
    void count_moves_on_h(int32_t h, double lh, Move& c, int64_t& work);
    void apply(int32_t h, const Move& c);

    std::vector<double> load_, top_, r_, up_, dn_;  // r_ = w / c, up_ = w / (c + 1), dn_ = w / (c - 1)
    std::vector<int32_t> m_;    // GPUs per node
    std::vector<double> s_;     // the scale of each node's load (see balance)
    double max_replica_ = 0;  // see balance
    double away_ = 0, away_budget_ = 0;  // load served away from home, and its limit
    double away_of(int32_t e, int32_t c, int32_t at_home) const {
        return c == at_home ? 0.0 : w_[e] * double(c - at_home) / double(c);
    }
    // The change of away_ if a replica of x on node b became one of y on b (a count move), or if
    // a replica of x on h and one of y on b swapped nodes.
    double away_count_move(int32_t x, int32_t b, int32_t y) const;
    double away_swap(int32_t x, int32_t h, int32_t y, int32_t b) const;
    bool away_ok(double delta) const { return !(delta > 0) || away_ + delta <= away_budget_; }
    // Whether expert x may give up a replica: its others would weigh no more than max_replica_.
    bool heavy_ok(int32_t x) const { return dn_[std::size_t(x)] <= max_replica_; }
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
    int32_t E_ = 0, N_ = 0, cap_ = 0;
    bool limited_ = false;  // an away budget
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

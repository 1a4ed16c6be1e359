#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace eplb::detail {

// Places the replicas of `n` experts on `m` bins (GPUs) of exactly `S` slots each so that the
// heaviest bin is as light as possible. A replica of expert e weighs w[e] / count[e].
//
// 1. Greedy start: replicas by weight descending, each onto the lightest bin with room that does
//    not already hold that expert (longest-processing-time with a cardinality limit).
// 2. Local search until nothing improves or the work budget is spent (counted in candidate
//    moves examined, never in time, so the result does not depend on the machine):
//    - swaps of one replica between the heaviest bin and any other bin (best over all bins);
//    - with `joint`, replica counts moves: one replica of an expert becomes a replica of another
//      (an expert of the heaviest bin gains a replica; one elsewhere, or on the heaviest bin,
//      gives one up), when that lowers the heaviest bin;
//    - when the heaviest bin is stuck, a pass over all bin pairs that evens out each pair by one
//      swap (lowers the sum of squares), which changes what the heaviest bin can swap with.
// No bin holds two replicas of one expert unless the expert has more replicas than there are
// bins. Deterministic: fixed visiting orders, ties broken by index, double arithmetic.
class BinSolver {
public:
    struct Result {
        double max_load;
    };
    // w[n] loads (>= 0); count[n] replica counts in (sum = m * S, each >= 1), out with `joint`.
    // cap: the most replicas an expert may hold (joint only). item[n] (optional): where >= 0, the
    // weight of one replica of that expert, whose count then stays fixed (its other replicas
    // live elsewhere); where < 0, w / count as usual.
    // out[m * S]: the expert in each slot, bin-major (slot k of bin b at b * S + k).
    // Whether count moves are tried before the all-pairs pass when the heaviest bin is stuck (they
    // pay off when some experts' counts are fixed elsewhere; otherwise the cheaper pass first).
    void set_counts_first(bool v) { counts_first_ = v; }
    // Stops early once the heaviest bin weighs no more than stop_at.
    Result solve(const double* w, int32_t* count, int32_t n, int32_t m, int32_t S, bool joint, int32_t cap,
                 int64_t budget, int32_t* out, const double* item = nullptr, double stop_at = -1.0);
    // The same as solve() (no fixed items) when its greedy start already has no bin heavier than
    // stop_at >= 0, with less bookkeeping: then writes out and result and returns true. Returns
    // false, out possibly written, when solve() would search or repair.
    bool greedy_only(const double* w, const int32_t* count, int32_t n, int32_t m, int32_t S, int32_t* out,
                     double stop_at, Result& result);

private:
    const double* w_ = nullptr;
    int32_t* cnt_ = nullptr;
    int32_t n_ = 0, m_ = 0, S_ = 0;
    bool joint_ = false, counts_first_ = false;
    int32_t cap_ = 0;
    int64_t work_ = 0, budget_ = 0;
    double tol_ = 0;  // improvements smaller than this are rounding noise
    std::vector<double> rl_;      // load of one replica, per expert
    std::vector<double> up_, dn_;  // the same with one replica more (w / (c + 1)), one fewer
    std::vector<uint8_t> fixed_;  // count may not change
    std::vector<int32_t> slot_;   // expert per slot, bin-major, each bin sorted heaviest first
    std::vector<double> sw_;      // the weight of each slot's replica (rl_ of its expert)
    std::vector<int32_t> occ_;    // replicas of expert e in bin b at e * m + b
    std::vector<int32_t> lim_;    // limit() per expert: (count + m - 1) / m
    std::vector<double> load_;    // per bin
    std::vector<std::vector<int32_t>> where_;  // the bin of each replica of each expert
    std::vector<int32_t> order_, heap_, parked_, fill_, touched_;
    std::vector<double> delta_;
    std::vector<uint32_t> ver_;  // per bin, bumped whenever its replicas change
    struct PairMemo {
        uint32_t va = 0, vb = 0, epoch = 0;
        int64_t work = 0;
    };
    // even_pairs: pair (a, b) at a * m + b had no swap at versions va, vb, in the solve `epoch`
    std::vector<PairMemo> memo_;
    uint32_t epoch_ = 0;
    std::vector<uint8_t> mark_;
    struct Key {
        uint64_t k;  // ~bits of the replica weight: heaviest first
        int32_t e;
    };
    std::vector<Key> keys_, spread_;
    std::vector<int32_t> bucket_, open_, used_;
    void sort_by_weight();
    struct Grown {
        double v1, v2;
        int32_t b1, b2;
        uint64_t mask;
    };
    std::vector<Grown> grown_;    // per expert, see grow_bins
    std::vector<int32_t> donors_, partners_;
    std::vector<uint64_t> mask_;  // per expert, its bins (m <= 64), set by improve_counts
    uint64_t bins_of(int32_t e) const;
    void grow_bins(int32_t x);
    bool blocked(int32_t x, int32_t bin, int32_t y, double best);
    bool forced_ = false;  // the greedy start had to put two replicas of an expert on one bin

    int32_t limit(int32_t e) const { return lim_[std::size_t(e)]; }  // most replicas of e one bin needs
    int32_t occurrences(int32_t e, int32_t bin) const { return occ_[std::size_t(e) * std::size_t(m_) + std::size_t(bin)]; }
    bool can_take(int32_t e, int32_t bin, int32_t leaving) const;
    bool before(int32_t x, int32_t y) const;
    void resort(int32_t bin);
    void reload(int32_t bin);
    void refresh(int32_t e);
    void refresh_up(int32_t e);
    void counts_ready();
    bool up_ready_ = false;
    void initial();
    void repair();
    void swap_slots(int32_t a, int32_t b);
    int32_t heaviest() const;
    bool improve_heaviest(int32_t h);
    bool improve_counts(int32_t h);
    bool even_pairs();
    double best_swap(int32_t a, int32_t b, int32_t& sa, int32_t& sb, double best);
    double count_move_max(int32_t x, int32_t bin, int32_t y, int32_t h, double lh);
};

}  // namespace eplb::detail

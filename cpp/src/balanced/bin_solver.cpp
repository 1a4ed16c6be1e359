#include "balanced/bin_solver.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace eplb::detail {

// Whether expert e may move into `bin` while slot `leaving` of that bin moves out.
bool BinSolver::can_take(int32_t e, int32_t bin, int32_t leaving) const {
    const int32_t occ = occurrences(e, bin) - (slot_[size_t(leaving)] == e);
    return occ < limit(e);
}

bool BinSolver::before(int32_t x, int32_t y) const {
    const double a = rl_[size_t(x)], b = rl_[size_t(y)];
    return a > b || (a == b && x < y);
}

// Restores the descending order of bin `bin` after one of its slots changed.
void BinSolver::resort(int32_t bin) {
    ++ver_[size_t(bin)];
    int32_t* s = slot_.data() + size_t(bin) * size_t(S_);
    if (S_ > 32) {
        std::sort(s, s + S_, [this](int32_t x, int32_t y) { return before(x, y); });
    } else {
        for (int32_t i = 1; i < S_; ++i) {
            const int32_t x = s[i];
            int32_t j = i;
            for (; j > 0 && before(x, s[j - 1]); --j) s[j] = s[j - 1];
            s[j] = x;
        }
    }
    double* sw = sw_.data() + size_t(bin) * size_t(S_);
    for (int32_t i = 0; i < S_; ++i) sw[i] = rl_[size_t(s[i])];
}

// After expert e's count changed: its replica weight and limit, and (once count moves have
// started, see counts_ready()) the weights with one replica more and one fewer.
void BinSolver::refresh(int32_t e) {
    lim_[size_t(e)] = (cnt_[e] + m_ - 1) / m_;
    if (fixed_[size_t(e)]) return;
    const double c = double(cnt_[e]);
    rl_[size_t(e)] = w_[e] / c;
    if (up_ready_) refresh_up(e);
}

void BinSolver::refresh_up(int32_t e) {
    if (fixed_[size_t(e)]) {
        up_[size_t(e)] = dn_[size_t(e)] = rl_[size_t(e)];  // never used: fixed experts keep their count
        return;
    }
    const double c = double(cnt_[e]);
    up_[size_t(e)] = w_[e] / (c + 1);
    dn_[size_t(e)] = cnt_[e] > 1 ? w_[e] / (c - 1) : 0.0;
}

// up_ and dn_ are only needed by count moves: computed the first time they are tried.
void BinSolver::counts_ready() {
    if (up_ready_) return;
    up_.resize(size_t(n_));
    dn_.resize(size_t(n_));
    for (int32_t e = 0; e < n_; ++e) refresh_up(e);
    up_ready_ = true;
}

void BinSolver::reload(int32_t bin) {
    double sum = 0;
    for (int32_t k = bin * S_; k < (bin + 1) * S_; ++k) sum += rl_[size_t(slot_[size_t(k)])];
    load_[size_t(bin)] = sum;
}

void BinSolver::swap_slots(int32_t a, int32_t b) {
    const int32_t x = slot_[size_t(a)], y = slot_[size_t(b)];
    const int32_t ba = a / S_, bb = b / S_;
    --occ_[size_t(x) * size_t(m_) + size_t(ba)];
    ++occ_[size_t(x) * size_t(m_) + size_t(bb)];
    --occ_[size_t(y) * size_t(m_) + size_t(bb)];
    ++occ_[size_t(y) * size_t(m_) + size_t(ba)];
    for (int32_t& v : where_[size_t(x)])
        if (v == ba) {
            v = bb;
            break;
        }
    for (int32_t& v : where_[size_t(y)])
        if (v == bb) {
            v = ba;
            break;
        }
    slot_[size_t(a)] = y;
    slot_[size_t(b)] = x;
    const double d = rl_[size_t(x)] - rl_[size_t(y)];
    load_[size_t(ba)] -= d;
    load_[size_t(bb)] += d;
    resort(ba);
    resort(bb);
}

int32_t BinSolver::heaviest() const {
    int32_t h = 0;
    for (int32_t b = 1; b < m_; ++b)
        if (load_[size_t(b)] > load_[size_t(h)]) h = b;
    return h;
}

// order_: the experts by replica weight descending, ties to the lower expert.
// Weights are >= 0, so their bit patterns order like them: integer keys (complemented: heaviest
// first), spread into buckets by their top 16 bits (exponent and 4 mantissa bits), then an
// insertion sort on (key, expert), which has little left to do.
void BinSolver::sort_by_weight() {
    keys_.resize(size_t(n_));
    uint64_t lo = ~uint64_t(0), hi = 0;
    for (int32_t e = 0; e < n_; ++e) {
        uint64_t bits;
        std::memcpy(&bits, &rl_[size_t(e)], sizeof bits);
        keys_[size_t(e)] = {~bits, e};
        lo = std::min(lo, (~bits) >> 48);
        hi = std::max(hi, (~bits) >> 48);
    }
    auto before_key = [](const Key& a, const Key& b) { return a.k < b.k || (a.k == b.k && a.e < b.e); };
    if (n_ > 0 && hi - lo < 4 * uint64_t(n_) + 64) {
        bucket_.assign(size_t(hi - lo) + 2, 0);
        for (const Key& key : keys_) ++bucket_[size_t((key.k >> 48) - lo) + 1];
        for (size_t i = 1; i < bucket_.size(); ++i) bucket_[i] += bucket_[i - 1];
        spread_.resize(keys_.size());
        for (const Key& key : keys_) spread_[size_t(bucket_[size_t((key.k >> 48) - lo)]++)] = key;
        for (size_t i = 1; i < spread_.size(); ++i) {
            const Key key = spread_[i];
            size_t j = i;
            for (; j > 0 && before_key(key, spread_[j - 1]); --j) spread_[j] = spread_[j - 1];
            spread_[j] = key;
        }
        keys_.swap(spread_);
    } else {
        std::sort(keys_.begin(), keys_.end(), before_key);
    }
    order_.resize(size_t(n_));
    for (int32_t i = 0; i < n_; ++i) order_[size_t(i)] = keys_[size_t(i)].e;
}

void BinSolver::initial() {
    // Replicas by weight descending (ties: lower expert), each to the lightest bin with room
    // (ties: lower bin) that can still take that expert.
    sort_by_weight();
    forced_ = false;
    fill_.assign(size_t(m_), 0);
    auto put = [this](int32_t bin, int32_t e) {
        const size_t k = size_t(bin * S_ + fill_[size_t(bin)]++);
        slot_[k] = e;
        sw_[k] = rl_[size_t(e)];
        where_[size_t(e)].push_back(bin);
        ++occ_[size_t(e) * size_t(m_) + size_t(bin)];
        load_[size_t(bin)] += rl_[size_t(e)];
    };
    if (m_ <= 16) {
        // Open bins kept in (load, bin) order: the first that can take the expert is the one.
        open_.resize(size_t(m_));
        std::iota(open_.begin(), open_.end(), 0);
        auto lighter = [this](int32_t a, int32_t b) {
            return load_[size_t(a)] < load_[size_t(b)] || (load_[size_t(a)] == load_[size_t(b)] && a < b);
        };
        for (int32_t e : order_)
            for (int32_t k = 0; k < cnt_[e]; ++k) {
                if (open_.empty()) return;
                size_t p = 0;
                if (k > 0) {  // the first open bin that does not hold e up to its limit
                    while (p < open_.size() && !(occurrences(e, open_[p]) < limit(e))) ++p;
                    if (p == open_.size()) p = 0, forced_ = true;
                }
                const int32_t bin = open_[p];
                put(bin, e);
                if (fill_[size_t(bin)] == S_) {
                    open_.erase(open_.begin() + std::ptrdiff_t(p));
                    continue;
                }
                for (; p + 1 < open_.size() && lighter(open_[p + 1], bin); ++p) open_[p] = open_[p + 1];
                open_[p] = bin;
            }
        return;
    }
    heap_.resize(size_t(m_));
    std::iota(heap_.begin(), heap_.end(), 0);
    auto later = [this](int32_t a, int32_t b) {
        return load_[size_t(a)] > load_[size_t(b)] || (load_[size_t(a)] == load_[size_t(b)] && a > b);
    };
    std::make_heap(heap_.begin(), heap_.end(), later);
    for (int32_t e : order_) {
        for (int32_t k = 0; k < cnt_[e]; ++k) {
            parked_.clear();
            int32_t chosen = -1;
            while (!heap_.empty()) {
                std::pop_heap(heap_.begin(), heap_.end(), later);
                const int32_t b = heap_.back();
                heap_.pop_back();
                if (occurrences(e, b) < limit(e)) {
                    chosen = b;
                    break;
                }
                parked_.push_back(b);
            }
            if (chosen < 0) {  // every open bin holds e already: take the lightest, repair later
                forced_ = true;
                chosen = parked_.front();
                parked_.erase(parked_.begin());
            }
            put(chosen, e);
            if (fill_[size_t(chosen)] < S_) parked_.push_back(chosen);
            for (int32_t b : parked_) {
                heap_.push_back(b);
                std::push_heap(heap_.begin(), heap_.end(), later);
            }
        }
    }
}

void BinSolver::repair() {
    for (int32_t a = 0; a < m_; ++a)
        for (int32_t i = a * S_; i < (a + 1) * S_; ++i) {
            const int32_t x = slot_[size_t(i)];
            if (occurrences(x, a) <= limit(x)) continue;
            double best = 0;
            int32_t bt = -1;
            for (int32_t t = 0; t < m_ * S_; ++t) {
                const int32_t b = t / S_, y = slot_[size_t(t)];
                if (b == a || y == x) continue;
                if (!(occurrences(x, b) < limit(x)) || !(occurrences(y, a) < limit(y))) continue;
                const double d = rl_[size_t(x)] - rl_[size_t(y)];
                const double v = std::max(load_[size_t(a)] - d, load_[size_t(b)] + d);
                if (bt < 0 || v < best) best = v, bt = t;
            }
            if (bt >= 0) {
                swap_slots(i, bt);
                i = a * S_ - 1;  // the bin was re-sorted: look at it again
            }
        }
}

// Best swap between bins a (heavier) and b: replica x of a for replica y of b with
// d = w(x) - w(y) in (0, diff) makes the pair's max max(la - d, lb + d), least when d is nearest
// diff / 2. Both bins are sorted by weight descending, so one pass with a pointer into b finds,
// for each x, the nearest y on either side. Returns the pair's new max if below `best`.
double BinSolver::best_swap(int32_t a, int32_t b, int32_t& sa, int32_t& sb, double best) {
    const double la = load_[size_t(a)], lb = load_[size_t(b)];
    const double diff = la - lb, half = diff / 2;
    sa = sb = -1;
    if (diff <= 2 * tol_) return best;
    const int32_t a0 = a * S_, b0 = b * S_, b1 = b0 + S_;
    work_ += 2 * S_;
    // No swap takes the pair below half its sum; and it needs d = w(x) - w(y) > la - best, so
    // w(x) > la - best (the margin tol_ covers rounding): a's replicas are heaviest first.
    if ((la + lb) / 2 >= best + tol_) return best;
    // Nor can a replica of a no heavier than b's lightest (within tol_): no partner with d in
    // (tol_, diff); the scans below would find nothing for it, nor for the lighter ones after it.
    const double stop = std::max(std::max(tol_, la - best - tol_), sw_[size_t(b1 - 1)] + tol_);
    int32_t j = b0;
    for (int32_t i = a0; i < a0 + S_; ++i) {
        const int32_t x = slot_[size_t(i)];
        const double wx = sw_[size_t(i)];
        if (wx <= stop) break;
        const double target = wx - half;
        while (j < b1 && sw_[size_t(j)] > target) ++j;
        // Lighter side: d >= diff / 2, the pair's max is lb + d, growing with k.
        for (int32_t k = j; k < b1; ++k) {
            const int32_t y = slot_[size_t(k)];
            const double d = wx - sw_[size_t(k)];
            if (d >= diff - tol_) break;
            const double v = lb + d;
            if (v >= best) break;
            ++work_;
            if (y == x || !can_take(x, b, k) || !can_take(y, a, i)) continue;
            best = v, sa = i, sb = k;
            break;
        }
        // Heavier side: d < diff / 2, the pair's max is la - d, growing as k goes down.
        for (int32_t k = j - 1; k >= b0; --k) {
            const int32_t y = slot_[size_t(k)];
            const double d = wx - sw_[size_t(k)];
            if (d <= tol_) break;
            const double v = la - d;
            if (v >= best) break;
            ++work_;
            if (y == x || !can_take(x, b, k) || !can_take(y, a, i)) continue;
            best = v, sa = i, sb = k;
            break;
        }
    }
    return best;
}

// The best swap between the heaviest bin and any lighter one: least new pair max, ties to the
// lower bin. Lightest partners first, so the best is found early and a partner whose pair cannot
// go below it (half the pair's sum) ends the scan: the same swap as scanning bins in index order.
bool BinSolver::improve_heaviest(int32_t h) {
    const double lh = load_[size_t(h)];
    double best = lh - tol_;
    int32_t bi = -1, bj = -1, bb = m_;
    partners_.clear();
    for (int32_t b = 0; b < m_; ++b)
        if (b != h && load_[size_t(b)] < lh) partners_.push_back(b);
    std::sort(partners_.begin(), partners_.end(), [this](int32_t a, int32_t b) {
        return load_[size_t(a)] < load_[size_t(b)] || (load_[size_t(a)] == load_[size_t(b)] && a < b);
    });
    for (int32_t b : partners_) {
        if ((lh + load_[size_t(b)]) / 2 >= best + tol_) break;
        // A lower bin may tie with the best so far.
        const double bound = bi >= 0 && b < bb ? std::nextafter(best, std::numeric_limits<double>::infinity()) : best;
        int32_t i, j;
        const double v = best_swap(h, b, i, j, bound);
        if (i >= 0 && (v < best || b < bb)) best = v, bi = i, bj = j, bb = b;
    }
    if (bi < 0) return false;
    swap_slots(bi, bj);
    return true;
}

// A pair that had no swap keeps having none while neither bin changes: it is not searched
// again (the work its search counted is counted again, so budgets run out as before).
bool BinSolver::even_pairs() {
    bool any = false;
    for (int32_t a = 0; a < m_ && work_ < budget_; ++a)
        for (int32_t b = a + 1; b < m_; ++b) {
            PairMemo& memo = memo_[size_t(a) * size_t(m_) + size_t(b)];
            if (memo.epoch == epoch_ && memo.va == ver_[size_t(a)] && memo.vb == ver_[size_t(b)]) {
                work_ += memo.work;
                continue;
            }
            const bool a_heavier = load_[size_t(a)] >= load_[size_t(b)];
            const int32_t hi = a_heavier ? a : b, lo = a_heavier ? b : a;
            int32_t i, j;
            const int64_t w0 = work_;
            best_swap(hi, lo, i, j, load_[size_t(hi)] - tol_);
            if (i >= 0) {
                swap_slots(i, j), any = true;
            } else {
                memo = {ver_[size_t(a)], ver_[size_t(b)], epoch_, work_ - w0};
            }
        }
    return any;
}

// The bins' new max when one replica of x in bin `bin` becomes a replica of y (every other
// replica of x gets heavier, every replica of y lighter). Returns `lh` unless bin h gets lighter.
double BinSolver::count_move_max(int32_t x, int32_t bin, int32_t y, int32_t h, double lh) {
    const double nx = dn_[size_t(x)], ny = up_[size_t(y)];
    touched_.clear();
    auto add = [&](int32_t b, double d) {
        if (!mark_[size_t(b)]) mark_[size_t(b)] = 1, touched_.push_back(b);
        delta_[size_t(b)] += d;
    };
    add(bin, ny - rl_[size_t(x)]);
    bool skipped = false;
    for (int32_t b : where_[size_t(x)]) {
        if (b == bin && !skipped) {
            skipped = true;
            continue;
        }
        add(b, nx - rl_[size_t(x)]);
    }
    for (int32_t b : where_[size_t(y)]) add(b, ny - rl_[size_t(y)]);
    double mx = 0;
    bool h_down = false;
    for (int32_t b : touched_) {
        const double v = load_[size_t(b)] + delta_[size_t(b)];
        mx = std::max(mx, v);
        if (b == h) h_down = v < lh - tol_;
        delta_[size_t(b)] = 0.0;
        mark_[size_t(b)] = 0;
    }
    work_ += int64_t(touched_.size()) + 4;
    return h_down ? mx : lh;
}

// The bins an expert's replicas are in, as a bit set (m <= 64 only).
uint64_t BinSolver::bins_of(int32_t e) const {
    uint64_t mask = 0;
    for (int32_t b : where_[size_t(e)]) mask |= uint64_t(1) << b;
    return mask;
}

// Whether count_move_max(x, bin, y, ...) cannot beat `best` because a bin of x other than `bin`
// that y is not in reaches it once x loses a replica (the figure count_move_max would find
// there). If so, adds the work count_move_max would have counted.
bool BinSolver::blocked(int32_t x, int32_t bin, int32_t y, double best) {
    if (m_ > 64) return false;
    const Grown& g = grown_[size_t(x)];
    const bool first = g.b1 != bin;
    const int32_t t = first ? g.b1 : g.b2;
    if (t < 0 || (first ? g.v1 : g.v2) < best || occurrences(y, t) != 0) return false;
    work_ += int64_t(__builtin_popcountll(g.mask | mask_[size_t(y)] | (uint64_t(1) << bin))) + 4;
    return true;
}

// grown_[x] for an expert x that may give up a replica: its two bins that are heaviest when x's
// other replicas get heavier (w / (c - 1) each), as count_move_max adds them up.
void BinSolver::grow_bins(int32_t x) {
    Grown g{-1.0, -1.0, -1, -1, mask_[size_t(x)]};
    const double d = dn_[size_t(x)] - rl_[size_t(x)];
    for (int32_t b = 0; b < m_ && m_ <= 64; ++b) {
        const int32_t k = occurrences(x, b);
        if (!k) continue;
        double sum = 0.0;
        for (int32_t j = 0; j < k; ++j) sum += d;
        const double v = load_[size_t(b)] + sum;
        if (v > g.v1) g.v2 = g.v1, g.b2 = g.b1, g.v1 = v, g.b1 = b;
        else if (v > g.v2) g.v2 = v, g.b2 = b;
    }
    grown_[size_t(x)] = g;
}

bool BinSolver::improve_counts(int32_t h) {
    counts_ready();
    const double lh = load_[size_t(h)];
    double best = lh - tol_;
    int32_t bx = -1, bbin = -1, by = -1;
    const int32_t h0 = h * S_;
    // Every expert's bins as a bit set; the experts that may give up a replica.
    if (m_ <= 64)
        for (int32_t e = 0; e < n_; ++e) mask_[size_t(e)] = bins_of(e);
    donors_.clear();
    for (int32_t x = 0; x < n_; ++x)
        if (cnt_[x] >= 2 && !fixed_[size_t(x)]) donors_.push_back(x), grow_bins(x);
    // A: an expert y of the heaviest bin gains a replica, in the bin of a replica of x elsewhere.
    for (int32_t i = h0; i < h0 + S_; ++i) {
        const int32_t y = slot_[size_t(i)];
        if (cnt_[y] >= cap_ || !(w_[y] > 0) || fixed_[size_t(y)]) continue;
        if (i > h0 && slot_[size_t(i - 1)] == y) continue;  // sorted: copies are adjacent
        const double ny = up_[size_t(y)];
        const int32_t lim_y = (cnt_[y] + m_) / m_;
        for (int32_t x : donors_) {
            if (x == y) continue;
            for (int32_t b : where_[size_t(x)]) {
                if (load_[size_t(b)] - rl_[size_t(x)] + ny >= best) continue;
                if (occurrences(y, b) >= lim_y) continue;
                if (blocked(x, b, y, best)) continue;
                const double v = count_move_max(x, b, y, h, lh);
                if (v < best) best = v, bx = x, bbin = b, by = y;
            }
        }
    }
    // B: an expert x of the heaviest bin gives up its replica there to another expert y.
    for (int32_t i = h0; i < h0 + S_; ++i) {
        const int32_t x = slot_[size_t(i)];
        if (cnt_[x] < 2 || fixed_[size_t(x)]) continue;
        if (i > h0 && slot_[size_t(i - 1)] == x) continue;
        for (int32_t y = 0; y < n_; ++y) {
            if (y == x || cnt_[y] >= cap_ || fixed_[size_t(y)]) continue;
            if (!(w_[y] > 0) && cnt_[y] >= 2) continue;  // idle experts do not collect replicas
            if (lh - rl_[size_t(x)] + up_[size_t(y)] >= best) continue;
            if (occurrences(y, h) >= (cnt_[y] + m_) / m_) continue;
            if (blocked(x, h, y, best)) continue;
            const double v = count_move_max(x, h, y, h, lh);
            if (v < best) best = v, bx = x, bbin = h, by = y;
        }
    }
    if (bx < 0) return false;
    // Apply: one slot of bx in bin bbin becomes by; reload and re-sort every bin holding either.
    for (int32_t k = bbin * S_; k < (bbin + 1) * S_; ++k)
        if (slot_[size_t(k)] == bx) {
            slot_[size_t(k)] = by;
            break;
        }
    auto& wx = where_[size_t(bx)];
    wx.erase(std::find(wx.begin(), wx.end(), bbin));
    where_[size_t(by)].push_back(bbin);
    --occ_[size_t(bx) * size_t(m_) + size_t(bbin)];
    ++occ_[size_t(by) * size_t(m_) + size_t(bbin)];
    --cnt_[bx];
    ++cnt_[by];
    refresh(bx);
    refresh(by);
    touched_.clear();
    for (int32_t b : wx) touched_.push_back(b);
    for (int32_t b : where_[size_t(by)]) touched_.push_back(b);
    for (int32_t b : touched_) {
        if (mark_[size_t(b)]) continue;
        mark_[size_t(b)] = 1;
        resort(b);
        reload(b);
    }
    for (int32_t b : touched_) mark_[size_t(b)] = 0;
    return true;
}

// What solve() returns when its greedy start is already done (heaviest bin <= stop_at, nothing
// forced), without the bookkeeping the local search needs; false (nothing written) otherwise.
// Only for m <= 16 without fixed items (initial()'s scan path).
bool BinSolver::greedy_only(const double* w, const int32_t* count, int32_t n, int32_t m, int32_t S, int32_t* out,
                            double stop_at, Result& result) {
    if (m < 2 || m > 16 || !(stop_at >= 0)) return false;
    n_ = n, m_ = m, S_ = S;
    rl_.resize(size_t(n));
    double total = 0;
    for (int32_t e = 0; e < n; ++e) {
        rl_[size_t(e)] = count[e] == 1 ? w[e] : w[e] / double(count[e]);
        total += rl_[size_t(e)] * double(count[e]);
    }
    if (!(total > 0)) return false;
    sort_by_weight();
    fill_.assign(size_t(m), 0);
    load_.assign(size_t(m), 0.0);
    open_.resize(size_t(m));
    std::iota(open_.begin(), open_.end(), 0);
    auto lighter = [this](int32_t a, int32_t b) {
        return load_[size_t(a)] < load_[size_t(b)] || (load_[size_t(a)] == load_[size_t(b)] && a < b);
    };
    for (int32_t e : order_) {
        const int32_t lim = count[e] <= m ? 1 : (count[e] + m - 1) / m;
        used_.clear();  // the bins e went to so far
        for (int32_t k = 0; k < count[e]; ++k) {
            if (open_.empty()) return false;
            size_t p = 0;
            if (k > 0) {
                auto takes = [&](int32_t b) { return int32_t(std::count(used_.begin(), used_.end(), b)) < lim; };
                while (p < open_.size() && !takes(open_[p])) ++p;
                if (p == open_.size()) return false;  // forced: solve() repairs it
            }
            const int32_t bin = open_[p];
            out[bin * S + fill_[size_t(bin)]++] = e;
            load_[size_t(bin)] += rl_[size_t(e)];
            used_.push_back(bin);
            if (fill_[size_t(bin)] == S) {
                open_.erase(open_.begin() + std::ptrdiff_t(p));
                continue;
            }
            for (; p + 1 < open_.size() && lighter(open_[p + 1], bin); ++p) open_[p] = open_[p + 1];
            open_[p] = bin;
        }
    }
    const double mx = *std::max_element(load_.begin(), load_.end());
    if (!(mx <= stop_at)) return false;
    result = {mx};
    return true;
}

BinSolver::Result BinSolver::solve(const double* w, int32_t* count, int32_t n, int32_t m, int32_t S, bool joint,
                                   int32_t cap, int64_t budget, int32_t* out, const double* item, double stop_at) {
    w_ = w, cnt_ = count, n_ = n, m_ = m, S_ = S, joint_ = joint, cap_ = cap;
    work_ = 0, budget_ = budget;
    rl_.resize(size_t(n));
    lim_.resize(size_t(n));
    grown_.resize(size_t(n));
    mask_.resize(size_t(n));
    fixed_.resize(size_t(n));
    occ_.assign(size_t(n) * size_t(m), 0);
    sw_.assign(size_t(m) * size_t(S), 0.0);
    double total = 0;
    for (int32_t e = 0; e < n; ++e) {
        fixed_[size_t(e)] = item && item[e] >= 0;
        // (w / 1 is w: most experts have one replica, and divisions are slow in WebAssembly.)
        rl_[size_t(e)] = fixed_[size_t(e)] ? item[e] : count[e] == 1 ? w[e] : w[e] / double(count[e]);
        total += rl_[size_t(e)] * double(count[e]);
    }
    tol_ = 1e-12 * (total / double(m));
    up_ready_ = false;
    for (int32_t e = 0; e < n; ++e) lim_[size_t(e)] = count[e] <= m ? 1 : (count[e] + m - 1) / m;
    slot_.assign(size_t(m) * size_t(S), -1);
    load_.assign(size_t(m), 0.0);
    delta_.assign(size_t(m), 0.0);
    ver_.assign(size_t(m), 0);
    if (memo_.size() < size_t(m) * size_t(m)) memo_.resize(size_t(m) * size_t(m));
    if (++epoch_ == 0) {  // wrapped: forget everything
        std::fill(memo_.begin(), memo_.end(), PairMemo{});
        epoch_ = 1;
    }
    mark_.assign(size_t(m), 0);
    if (where_.size() < size_t(n)) where_.resize(size_t(n));
    for (int32_t e = 0; e < n; ++e) where_[size_t(e)].clear();
    initial();  // each bin comes out sorted: replicas were placed heaviest first
    if (forced_) repair();
    if (m > 1 && total > 0) {
        while (work_ < budget_) {
            const int32_t h = heaviest();
            if (load_[size_t(h)] <= stop_at) break;
            if (improve_heaviest(h)) continue;
            if (counts_first_ && joint_ && improve_counts(h)) continue;
            if (even_pairs()) continue;
            if (!counts_first_ && joint_ && improve_counts(h)) continue;
            break;
        }
    }
    for (int32_t b = 0; b < m; ++b) reload(b);
    std::copy(slot_.begin(), slot_.end(), out);
    return {*std::max_element(load_.begin(), load_.end())};
}

}  // namespace eplb::detail

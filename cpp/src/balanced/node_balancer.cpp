#include "balanced/node_balancer.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace eplb::detail {

// Only whether the move beats `best` matters: returns lh (no better) as soon as one node reaches it.
double NodeBalancer::count_move_max(int32_t x, int32_t b, int32_t y, int32_t h, double lh, double best) const {
    const double rx = r_[size_t(x)], nx = dn_[size_t(x)];
    const double ry = r_[size_t(y)], ny = up_[size_t(y)];
    const int32_t* ax_row = rn_ + size_t(x) * size_t(N_);
    const int32_t* ay_row = rn_ + size_t(y) * size_t(N_);
    const double* load = load_.data();
    double mx = 0;
    bool h_down = false;
    for (int32_t n = 0; n < N_; ++n) {
        const int32_t ax = ax_row[n], ay = ay_row[n];
        if (ax == 0 && ay == 0 && n != b) continue;
        const int32_t ax2 = ax - (n == b), ay2 = ay + (n == b);
        const double v = load[n] + (double(ax2) * nx - double(ax) * rx) * s_[size_t(n)] + (double(ay2) * ny - double(ay) * ry) * s_[size_t(n)];
        if (!(v < best)) return lh;
        mx = std::max(mx, v);
        if (n == h) h_down = v < lh - tol_;
    }
    return h_down ? mx : lh;
}

double NodeBalancer::away_count_move(int32_t x, int32_t b, int32_t y) const {
    const int32_t hx = home_[x], hy = home_[y], cx = cnt_[x], cy = cnt_[y];
    const int32_t ax = rn_[x * N_ + hx], ay = rn_[y * N_ + hy];
    return away_of(x, cx - 1, ax - (b == hx)) - away_of(x, cx, ax) + away_of(y, cy + 1, ay + (b == hy)) - away_of(y, cy, ay);
}

double NodeBalancer::away_swap(int32_t x, int32_t h, int32_t y, int32_t b) const {
    return r_[size_t(x)] * (double(home_[x] == h) - double(home_[x] == b)) +
           r_[size_t(y)] * (double(home_[y] == b) - double(home_[y] == h));
}

void NodeBalancer::apply_count_move(int32_t x, int32_t b, int32_t y) {
    --rn_[x * N_ + b];
    ++rn_[y * N_ + b];
    --cnt_[x];
    ++cnt_[y];
    refresh(x);
    refresh(y);
}

// Moves experts x and y to their places in byr_ after their weights (and counts) changed.
void NodeBalancer::reposition(int32_t x, int32_t y) {
    byr_.erase(std::remove_if(byr_.begin(), byr_.end(), [x, y](int32_t e) { return e == x || e == y; }), byr_.end());
    multi_.erase(std::remove_if(multi_.begin(), multi_.end(), [x, y](int32_t e) { return e == x || e == y; }), multi_.end());
    for (int32_t e : {x, y})
        if (cnt_[e] >= 2) {
            byr_.insert(std::lower_bound(byr_.begin(), byr_.end(), e, [this](int32_t a, int32_t b) { return lighter(a, b); }), e);
            multi_.insert(std::lower_bound(multi_.begin(), multi_.end(), e), e);
        }
}

void NodeBalancer::refresh(int32_t e) {
    if (cnt_[e] == 1) {  // the same values without divisions (w / 1 is w, w / 2 is w * 0.5)
        r_[size_t(e)] = w_[e];
        up_[size_t(e)] = w_[e] * 0.5;
        dn_[size_t(e)] = 0.0;
        return;
    }
    const double c = double(cnt_[e]);
    r_[size_t(e)] = w_[e] / c;
    up_[size_t(e)] = w_[e] / (c + 1);
    dn_[size_t(e)] = w_[e] / (c - 1);
}

void NodeBalancer::balance(const double* w, const int32_t* home, int32_t E, int32_t N, int32_t m, int32_t cap,
                           bool counts, int64_t budget, double slack, int32_t* count, int32_t* rn) {
    const std::vector<int32_t> gpus(size_t(N), m);
    balance(w, home, E, N, gpus.data(), cap, counts, budget, slack, count, rn);
}

void NodeBalancer::balance(const double* w, const int32_t* home, int32_t E, int32_t N, const int32_t* gpus, int32_t cap,
                           bool counts, int64_t budget, double slack, int32_t* count, int32_t* rn, double max_replica,
                           double away_budget) {
    w_ = w, home_ = home, cnt_ = count, rn_ = rn, E_ = E, N_ = N, cap_ = cap;
    max_replica_ = max_replica, away_budget_ = away_budget, away_ = 0;
    limited_ = away_budget < std::numeric_limits<double>::infinity();
    if (limited_)
        for (int32_t e = 0; e < E; ++e) away_ += away_of(e, count[e], rn[e * N + home[e]]);
    double total = 0;
    const double good_enough = scale_nodes(gpus, slack, total);
    load_.assign(size_t(N), 0.0);
    reload();
    if (N < 2 || !(total > 0)) return;
    index_experts();
    int64_t work = 0;
    while (work < budget) {
        int32_t h = 0;
        for (int32_t n = 1; n < N; ++n)
            if (load_[size_t(n)] > load_[size_t(h)]) h = n;
        const double lh = load_[size_t(h)];
        if (lh <= good_enough) break;
        Move c;
        c.best = lh - tol_;
        work += index_movable(h);
        best_swap(h, lh, c, work);
        if (counts) {
            collect_keys(h, lh, c.best);
            count_moves_elsewhere(h, lh, c, work);
            count_moves_on_h(h, lh, c, work);
        }
        if (c.kind == 0) break;
        apply(h, c);
        work += 4 * N;
    }
}

// The GPUs per node and each node's scale (see balance), the replica weights; returns the node
// load at which the search stops (the mean, per GPU times the largest node's GPUs, plus slack)
// and the layer's total in `total`.
double NodeBalancer::scale_nodes(const int32_t* gpus, double slack, double& total) {
    const double* w = w_;
    const int32_t E = E_, N = N_;
    m_.assign(gpus, gpus + N);
    const int32_t widest = *std::max_element(m_.begin(), m_.end());
    bool uniform = true;
    s_.resize(size_t(N));
    for (int32_t n = 0; n < N; ++n) {
        uniform = uniform && m_[size_t(n)] == widest;
        s_[size_t(n)] = m_[size_t(n)] == widest ? 1.0 : double(widest) / double(m_[size_t(n)]);
    }
    int32_t all_gpus = 0;
    for (int32_t n = 0; n < N; ++n) all_gpus += m_[size_t(n)];
    total = 0;
    for (int32_t e = 0; e < E; ++e) total += w[e];
    tol_ = 1e-12 * total / double(N);
    r_.resize(size_t(E));
    up_.resize(size_t(E));
    dn_.resize(size_t(E));
    for (int32_t e = 0; e < E; ++e) refresh(e);
    // The mean node load (per GPU, times the largest node's GPUs).
    return (uniform ? total / double(N) : total * double(widest) / double(all_gpus)) * (1 + slack);
}

void NodeBalancer::reload() {
    const double* w = w_;
    int32_t* count = cnt_;
    int32_t* rn = rn_;
    const int32_t E = E_, N = N_;
    std::fill(load_.begin(), load_.end(), 0.0);
    for (int32_t e = 0; e < E; ++e) {
        const double r = w[e] / double(count[e]);
        for (int32_t n = 0; n < N; ++n)
            if (rn[e * N + n]) load_[size_t(n)] += double(rn[e * N + n]) * r;
    }
    for (int32_t n = 0; n < N; ++n) load_[size_t(n)] *= s_[size_t(n)];
}

// The experts with two or more replicas (byr_ by weight, multi_ by index) and by home node.
void NodeBalancer::index_experts() {
    const int32_t* home = home_;
    int32_t* count = cnt_;
    const int32_t E = E_, N = N_;
    movable_start_.resize(size_t(2 * N));
    movable_.resize(size_t(E) * size_t(N));
    mv_.resize(size_t(E) * size_t(N));
    sorted_.resize(size_t(E) * size_t(N));
    nsrt_.resize(size_t(N));
    xtop_.resize(size_t(E));
    byr_.clear();
    for (int32_t e = 0; e < E; ++e)
        if (count[e] >= 2) byr_.push_back(e);
    multi_ = byr_;  // by index
    // Experts by home node.
    home_start_.assign(size_t(N) + 1, 0);
    for (int32_t e = 0; e < E; ++e) ++home_start_[size_t(home[e]) + 1];
    for (int32_t n = 0; n < N; ++n) home_start_[size_t(n) + 1] += home_start_[size_t(n)];
    home_list_.resize(size_t(E));
    nsrt_.assign(home_start_.begin(), home_start_.end() - 1);  // fill positions, for now
    for (int32_t e = 0; e < E; ++e) home_list_[size_t(nsrt_[size_t(home[e])]++)] = e;
    std::sort(byr_.begin(), byr_.end(), [this](int32_t a, int32_t b) { return lighter(a, b); });
}

// The movable replicas per node (movable_, mv_, sorted_), each expert's heaviest nodes other than
// h (xtop_); returns the work counted.
int64_t NodeBalancer::index_movable(int32_t h) {
    const int32_t* home = home_;
    int32_t* rn = rn_;
    const int32_t E = E_, N = N_;
    // Movable replicas per node, by expert (movable_) and lightest first (sorted_, from byr_).
    // Only experts with two or more replicas have movable ones.
    const int32_t multi = int32_t(multi_.size());
    for (int32_t n = 0; n < N; ++n) movable_start_[size_t(n)] = movable_start_[size_t(n + N)] = n * E;
    for (int32_t e : multi_) {
        const int32_t* row = rn + size_t(e) * size_t(N);
        const double re = r_[size_t(e)], de = dn_[size_t(e)];
        // The heaviest two nodes other than h that e's replicas make heavier when e loses
        // one (count_move_max's figures where the other expert has no replica).
        XTop t{-1.0, -1.0, -1, -1};
        for (int32_t n = 0; n < N; ++n) {
            if (row[n] - (home[e] == n) >= 1) {
                const size_t p = size_t(movable_start_[size_t(n + N)]++);
                movable_[p] = e;
                mv_[p] = {re * s_[size_t(n)], double(row[h]) * (de - re) * s_[size_t(h)], double(row[n] - 1) * (de - re) * s_[size_t(n)]};
            }
            if (n == h || row[n] == 0) continue;
            const double v = load_[size_t(n)] + (double(row[n]) * de - double(row[n]) * re) * s_[size_t(n)];
            if (v > t.v1) t.v2 = t.v1, t.n2 = t.n1, t.v1 = v, t.n1 = n;
            else if (v > t.v2) t.v2 = v, t.n2 = n;
        }
        xtop_[size_t(e)] = t;
    }
    std::fill(nsrt_.begin(), nsrt_.end(), 0);
    for (int32_t e : byr_) {
        const int32_t* row = rn + size_t(e) * size_t(N);
        for (int32_t n = 0; n < N; ++n)
            if (row[n] - (home[e] == n) >= 1) sorted_[size_t(n) * size_t(E) + size_t(nsrt_[size_t(n)]++)] = e;
    }
    return E / 4 + int64_t(multi) * N;
}

// Whether moving a replica of x off node b cannot beat `best` because of x's replicas on a node
// other than h and b that y does not share (count_move_max would find the same).
bool NodeBalancer::blocked(int32_t x, int32_t b, int32_t y, double best) const {
    const XTop& t = xtop_[size_t(x)];
    if (t.n1 >= 0 && t.n1 != b) return !(t.v1 < best) && rn_[y * N_ + t.n1] == 0;
    if (t.n2 >= 0) return !(t.v2 < best) && rn_[y * N_ + t.n2] == 0;
    return false;
}

void NodeBalancer::best_swap(int32_t h, double lh, Move& c, int64_t& work) {
    int32_t* rn = rn_;
    const int32_t N = N_;
    auto& [best, kind, bx, bb, by] = c;  // the move chosen so far
    const bool limited = limited_;
    // Swaps: a movable replica of x on h for one of y on b. The pair's max is least when
    // w(x) - w(y) is nearest half their difference: each node's movable replicas sorted by
    // weight, one binary search per x and node, then outward to the first allowed y.
    for (int32_t i = mov_begin(h); i < mov_end(h); ++i) {
        const int32_t x = movable_[size_t(i)];
        const double rx = r_[size_t(x)];
        for (int32_t b = 0; b < N; ++b) {
            if (b == h || rn[x * N + b] >= m_[size_t(b)]) continue;
            const double lb = load_[size_t(b)], sh = s_[size_t(h)], sb = s_[size_t(b)];
            // d = rx - ry moves d * sh off h and d * sb onto b: even at d = (lh - lb) / (sh + sb).
            const double target = rx - (lh - lb) / (sh + sb);
            const auto first = sorted_.begin() + mov_begin(b);
            const auto last = first + nsrt_[size_t(b)];
            const auto split = std::lower_bound(first, last, target, [this](int32_t e, double v) { return r_[size_t(e)] < v; });
            work += 4;
            // Below the split: d > half, the pair's max is lb + d, growing downwards.
            for (auto it = split; it != first;) {
                const int32_t y = *--it;
                const double d = rx - r_[size_t(y)];
                const double v = lb + d * sb;
                if (v >= best || !(lh - d * sh < lh - tol_)) break;
                ++work;
                if (y == x || rn[y * N + h] >= m_[size_t(h)] || (limited && !away_ok(away_swap(x, h, y, b)))) continue;
                best = v, kind = 1, bx = x, bb = b, by = y;
                break;
            }
            // From the split up: d <= half, the pair's max is lh - d, growing upwards.
            for (auto it = split; it != last; ++it) {
                const int32_t y = *it;
                const double d = rx - r_[size_t(y)];
                if (!(d > tol_)) break;
                const double v = std::max(lh - d * sh, lb + d * sb);
                if (v >= best) break;
                ++work;
                if (y == x || rn[y * N + h] >= m_[size_t(h)] || (limited && !away_ok(away_swap(x, h, y, b)))) continue;
                best = v, kind = 1, bx = x, bb = b, by = y;
                break;
            }
        }
    }
}

// keys_: the experts on h by how much one more replica would take off h, most first (those the
// scans could reach); keys2_: the same experts by what a replica of theirs adds to h.
void NodeBalancer::collect_keys(int32_t h, double lh, double best) {
    const double* w = w_;
    const int32_t* home = home_;
    int32_t* count = cnt_;
    int32_t* rn = rn_;
    const int32_t N = N_;
    const int32_t cap = cap_;
    // Experts on h by how much one more replica would take off h, most first.
    keys_.clear();
    keys2_.clear();
    // (h's own experts, then others with a replica there: the order does not matter.)
    for (int32_t i = home_start_[size_t(h)], v = 0; v < 2; ++v, i = 0) {
        const int32_t end = v == 0 ? home_start_[size_t(h) + 1] : int32_t(multi_.size());
        for (; i < end; ++i) {
            const int32_t e = v == 0 ? home_list_[size_t(i)] : multi_[size_t(i)];
            if (v == 1 && home[e] == h) continue;
            const int32_t k = rn[e * N + h];
            if (!k || count[e] >= cap || !(w[e] > 0)) continue;
            const double relief = double(k) * (r_[size_t(e)] - up_[size_t(e)]) * s_[size_t(h)];
            // Keys the scans below would stop at anyway are left out (best only goes down).
            if (lh - best - tol_ < relief) keys_.push_back({relief, e});
            keys2_.push_back({up_[size_t(e)] * s_[size_t(h)] - relief, e});
        }
    }
    std::sort(keys_.begin(), keys_.end(),
              [](const Key& a, const Key& b) { return a.v > b.v || (a.v == b.v && a.e < b.e); });
}

// y of h gains a replica in the slot of a movable replica of x on another node b.
void NodeBalancer::count_moves_elsewhere(int32_t h, double lh, Move& c, int64_t& work) {
    int32_t* rn = rn_;
    const int32_t E = E_, N = N_;
    auto& [best, kind, bx, bb, by] = c;  // the move chosen so far
    const bool limited = limited_;
    // The heaviest movable replica per node bounds what a count move can take off it.
    top_.assign(size_t(N), 0.0);
    for (int32_t b = 0; b < N; ++b)
        if (nsrt_[size_t(b)]) top_[size_t(b)] = r_[size_t(sorted_[size_t(b * E + nsrt_[size_t(b)] - 1)])] * s_[size_t(b)];
    // y of h gains a replica in the slot of a movable replica of x on another node b.
    for (const Key& key : keys_) {
        const int32_t y = key.e;
        if (!(lh - key.v < best)) break;
        const double ry = r_[size_t(y)], ny = up_[size_t(y)];
        for (int32_t b = 0; b < N; ++b) {
            ++work;
            if (b == h || rn[y * N + b] >= m_[size_t(b)]) continue;
            const double sb = s_[size_t(b)];
            // b gains y's new replica and loses at most its heaviest movable one.
            if (load_[size_t(b)] + ny * sb - top_[size_t(b)] - double(rn[y * N + b]) * (ry - ny) * sb >= best) continue;
            const double lb = load_[size_t(b)] + ny * sb - double(rn[y * N + b]) * (ry - ny) * sb;
            const double lhk = lh - key.v;
            for (int32_t j = mov_begin(b); j < mov_end(b); ++j) {
                const int32_t x = movable_[size_t(j)];
                ++work;
                if (x == y) continue;
                // h and b exactly, before looking at the other nodes.
                const Movable& mv = mv_[size_t(j)];
                if (lhk + mv.on_h >= best) continue;
                if (lb - mv.r + mv.on_b >= best) continue;
                work += 1 + N;
                if (blocked(x, b, y, best)) continue;
                const double v = count_move_max(x, b, y, h, lh, best);
                if (v < best && heavy_ok(x) && (!limited || away_ok(away_count_move(x, b, y)))) best = v, kind = 2, bx = x, bb = b, by = y;
            }
        }
    }
}

void NodeBalancer::count_moves_on_h(int32_t h, double lh, Move& c, int64_t& work) {
    int32_t* rn = rn_;
    const int32_t N = N_;
    auto& [best, kind, bx, bb, by] = c;  // the move chosen so far
    const bool limited = limited_;
    // A movable replica of x on h becomes one more replica of an expert y of h: h changes
    // by -w(x) + (x's other replicas on h) * growth + g(y), g(y) = w/(c+1) - relief on h;
    // experts y by g ascending, so the scan stops at the first that cannot beat the best.
    // Only keys below best - base for some x can be reached (the scan for x stops at the
    // first key at or above it, counted as examined).
    double reach = -1e300;
    for (int32_t i = mov_begin(h); i < mov_end(h); ++i) {
        const int32_t x = movable_[size_t(i)];
        reach = std::max(reach, best - (lh - r_[size_t(x)] * s_[size_t(h)] +
                                        double(rn[x * N + h] - 1) * (dn_[size_t(x)] - r_[size_t(x)]) * s_[size_t(h)]));
    }
    const size_t all_keys = keys2_.size();
    keys2_.erase(std::remove_if(keys2_.begin(), keys2_.end(), [&](const Key& k) { return !(k.v < reach + tol_); }),
                 keys2_.end());
    const bool cut = keys2_.size() < all_keys;
    std::sort(keys2_.begin(), keys2_.end(),
              [](const Key& a, const Key& b) { return a.v < b.v || (a.v == b.v && a.e < b.e); });
    for (int32_t i = mov_begin(h); i < mov_end(h); ++i) {
        const int32_t x = movable_[size_t(i)];
        const double base = lh - r_[size_t(x)] * s_[size_t(h)] +
                            double(rn[x * N + h] - 1) * (dn_[size_t(x)] - r_[size_t(x)]) * s_[size_t(h)];
        bool stopped = false;
        for (const Key& key : keys2_) {
            const int32_t y = key.e;
            ++work;
            if (!(base + key.v < best)) {
                stopped = true;
                break;
            }
            if (y == x || rn[y * N + h] >= m_[size_t(h)]) continue;
            work += 1 + N;
            if (blocked(x, h, y, best)) continue;
            const double v = count_move_max(x, h, y, h, lh, best);
            if (v < best && heavy_ok(x) && (!limited || away_ok(away_count_move(x, h, y)))) best = v, kind = 3, bx = x, bb = h, by = y;
        }
        if (!stopped && cut) ++work;  // the first key left out
    }
}

void NodeBalancer::apply(int32_t h, const Move& c) {
    int32_t* rn = rn_;
    const int32_t N = N_;
    const int kind = c.kind;
    const int32_t bx = c.bx, bb = c.bb, by = c.by;
    const bool limited = limited_;
    if (limited) away_ += kind == 1 ? away_swap(bx, h, by, bb) : away_count_move(bx, bb, by);
    if (kind == 1) {
        --rn[bx * N + h], ++rn[bx * N + bb];
        --rn[by * N + bb], ++rn[by * N + h];
        const double d = r_[size_t(bx)] - r_[size_t(by)];
        load_[size_t(h)] -= d * s_[size_t(h)];
        load_[size_t(bb)] += d * s_[size_t(bb)];
    } else {  // kinds 2 and 3: the loads of x's and y's nodes change
        for (int32_t n = 0; n < N; ++n)
            load_[size_t(n)] -= (double(rn[bx * N + n]) * r_[size_t(bx)] + double(rn[by * N + n]) * r_[size_t(by)]) * s_[size_t(n)];
        apply_count_move(bx, bb, by);
        reposition(bx, by);
        for (int32_t n = 0; n < N; ++n)
            load_[size_t(n)] += (double(rn[bx * N + n]) * r_[size_t(bx)] + double(rn[by * N + n]) * r_[size_t(by)]) * s_[size_t(n)];
    }
}

}  // namespace eplb::detail

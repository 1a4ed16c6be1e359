#include "node_balancer.hpp"

#include <algorithm>
#include <numeric>

namespace eplb::detail {

double NodeBalancer::count_move_max(int32_t x, int32_t b, int32_t y, int32_t h, double lh) {
    const double rx = r_[size_t(x)], nx = dn_[size_t(x)];
    const double ry = r_[size_t(y)], ny = up_[size_t(y)];
    double mx = 0;
    bool h_down = false;
    for (int32_t n = 0; n < N_; ++n) {
        const int32_t ax = rn_[x * N_ + n], ay = rn_[y * N_ + n];
        if (ax == 0 && ay == 0 && n != b) continue;
        const int32_t ax2 = ax - (n == b), ay2 = ay + (n == b);
        const double v = load_[size_t(n)] + (double(ax2) * nx - double(ax) * rx) + (double(ay2) * ny - double(ay) * ry);
        mx = std::max(mx, v);
        if (n == h) h_down = v < lh - tol_;
    }
    return h_down ? mx : lh;
}

void NodeBalancer::apply_count_move(int32_t x, int32_t b, int32_t y) {
    --rn_[x * N_ + b];
    ++rn_[y * N_ + b];
    --cnt_[x];
    ++cnt_[y];
    refresh(x);
    refresh(y);
}

void NodeBalancer::refresh(int32_t e) {
    const double c = double(cnt_[e]);
    r_[size_t(e)] = w_[e] / c;
    up_[size_t(e)] = w_[e] / (c + 1);
    dn_[size_t(e)] = cnt_[e] > 1 ? w_[e] / (c - 1) : 0.0;
}

void NodeBalancer::balance(const double* w, const int32_t* home, int32_t E, int32_t N, int32_t m, int32_t cap,
                           bool counts, int64_t budget, double slack, int32_t* count, int32_t* rn) {
    w_ = w, home_ = home, cnt_ = count, rn_ = rn, E_ = E, N_ = N;
    double total = 0;
    for (int32_t e = 0; e < E; ++e) total += w[e];
    tol_ = 1e-12 * total / double(N);
    r_.resize(size_t(E));
    up_.resize(size_t(E));
    dn_.resize(size_t(E));
    for (int32_t e = 0; e < E; ++e) refresh(e);
    const double good_enough = (total / double(N)) * (1 + slack);
    load_.assign(size_t(N), 0.0);
    auto reload = [&]() {
        std::fill(load_.begin(), load_.end(), 0.0);
        for (int32_t e = 0; e < E; ++e) {
            const double r = w[e] / double(count[e]);
            for (int32_t n = 0; n < N; ++n)
                if (rn[e * N + n]) load_[size_t(n)] += double(rn[e * N + n]) * r;
        }
    };
    reload();
    if (N < 2 || !(total > 0)) return;
    movable_start_.resize(size_t(N) + 1);
    int64_t work = 0;
    while (work < budget) {
        int32_t h = 0;
        for (int32_t n = 1; n < N; ++n)
            if (load_[size_t(n)] > load_[size_t(h)]) h = n;
        const double lh = load_[size_t(h)];
        if (lh <= good_enough) break;
        double best = lh - tol_;
        int kind = 0;  // 1 swap, 2 count move
        int32_t bx = -1, bb = -1, by = -1;
        // Movable replicas per node (experts, node by node).
        // (Only experts with two or more replicas have movable ones.)
        multi_.clear();
        for (int32_t e = 0; e < E; ++e)
            if (count[e] >= 2) multi_.push_back(e);
        movable_.clear();
        for (int32_t n = 0; n < N; ++n) {
            movable_start_[size_t(n)] = int32_t(movable_.size());
            for (int32_t e : multi_)
                if (rn[e * N + n] - (home[e] == n) >= 1) movable_.push_back(e);
        }
        movable_start_[size_t(N)] = int32_t(movable_.size());
        work += E / 4 + int64_t(multi_.size()) * N;
        // Swaps: a movable replica of x on h for one of y on b. The pair's max is least when
        // w(x) - w(y) is nearest half their difference: each node's movable replicas sorted by
        // weight, one binary search per x and node, then outward to the first allowed y.
        sorted_ = movable_;
        for (int32_t n = 0; n < N; ++n)
            std::sort(sorted_.begin() + movable_start_[size_t(n)], sorted_.begin() + movable_start_[size_t(n) + 1],
                      [this](int32_t a, int32_t b) {
                          return r_[size_t(a)] < r_[size_t(b)] || (r_[size_t(a)] == r_[size_t(b)] && a < b);
                      });
        for (int32_t i = movable_start_[size_t(h)]; i < movable_start_[size_t(h) + 1]; ++i) {
            const int32_t x = movable_[size_t(i)];
            const double rx = r_[size_t(x)];
            for (int32_t b = 0; b < N; ++b) {
                if (b == h || rn[x * N + b] >= m) continue;
                const double lb = load_[size_t(b)];
                const double target = rx - (lh - lb) / 2;
                const auto first = sorted_.begin() + movable_start_[size_t(b)];
                const auto last = sorted_.begin() + movable_start_[size_t(b) + 1];
                const auto split = std::lower_bound(first, last, target, [this](int32_t e, double v) { return r_[size_t(e)] < v; });
                work += 4;
                // Below the split: d > half, the pair's max is lb + d, growing downwards.
                for (auto it = split; it != first;) {
                    const int32_t y = *--it;
                    const double d = rx - r_[size_t(y)];
                    const double v = lb + d;
                    if (v >= best || !(lh - d < lh - tol_)) break;
                    ++work;
                    if (y == x || rn[y * N + h] >= m) continue;
                    best = v, kind = 1, bx = x, bb = b, by = y;
                    break;
                }
                // From the split up: d <= half, the pair's max is lh - d, growing upwards.
                for (auto it = split; it != last; ++it) {
                    const int32_t y = *it;
                    const double d = rx - r_[size_t(y)];
                    if (!(d > tol_)) break;
                    const double v = std::max(lh - d, lb + d);
                    if (v >= best) break;
                    ++work;
                    if (y == x || rn[y * N + h] >= m) continue;
                    best = v, kind = 1, bx = x, bb = b, by = y;
                    break;
                }
            }
        }
        if (counts) {
            // Experts on h by how much one more replica would take off h, most first.
            keys_.clear();
            for (int32_t e = 0; e < E; ++e) {
                const int32_t k = rn[e * N + h];
                if (!k || count[e] >= cap || !(w[e] > 0)) continue;
                keys_.push_back({double(k) * (r_[size_t(e)] - up_[size_t(e)]), e});
            }
            std::sort(keys_.begin(), keys_.end(),
                      [](const Key& a, const Key& b) { return a.v > b.v || (a.v == b.v && a.e < b.e); });
            // The heaviest movable replica per node bounds what a count move can take off it.
            top_.assign(size_t(N), 0.0);
            for (int32_t b = 0; b < N; ++b)
                for (int32_t j = movable_start_[size_t(b)]; j < movable_start_[size_t(b) + 1]; ++j)
                    top_[size_t(b)] = std::max(top_[size_t(b)], r_[size_t(movable_[size_t(j)])]);
            // y of h gains a replica in the slot of a movable replica of x on another node b.
            for (const Key& key : keys_) {
                const int32_t y = key.e;
                if (!(lh - key.v < best)) break;
                const double ry = r_[size_t(y)], ny = up_[size_t(y)];
                for (int32_t b = 0; b < N; ++b) {
                    ++work;
                    if (b == h || rn[y * N + b] >= m) continue;
                    // b gains y's new replica and loses at most its heaviest movable one.
                    if (load_[size_t(b)] + ny - top_[size_t(b)] - double(rn[y * N + b]) * (ry - ny) >= best) continue;
                    const double lb = load_[size_t(b)] + ny - double(rn[y * N + b]) * (ry - ny);
                    for (int32_t j = movable_start_[size_t(b)]; j < movable_start_[size_t(b) + 1]; ++j) {
                        const int32_t x = movable_[size_t(j)];
                        ++work;
                        if (x == y) continue;
                        // h and b exactly, before looking at the other nodes.
                        const double grow = dn_[size_t(x)] - r_[size_t(x)];
                        if (lh - key.v + double(rn[x * N + h]) * grow >= best) continue;
                        if (lb - r_[size_t(x)] + double(rn[x * N + b] - 1) * grow >= best) continue;
                        work += 1 + N;
                        const double v = count_move_max(x, b, y, h, lh);
                        if (v < best) best = v, kind = 2, bx = x, bb = b, by = y;
                    }
                }
            }
            // A movable replica of x on h becomes one more replica of an expert y of h: h changes
            // by -w(x) + (x's other replicas on h) * growth + g(y), g(y) = w/(c+1) - relief on h;
            // experts y by g ascending, so the scan stops at the first that cannot beat the best.
            keys2_.clear();
            for (const Key& key : keys_) keys2_.push_back({up_[size_t(key.e)] - key.v, key.e});
            std::sort(keys2_.begin(), keys2_.end(),
                      [](const Key& a, const Key& b) { return a.v < b.v || (a.v == b.v && a.e < b.e); });
            for (int32_t i = movable_start_[size_t(h)]; i < movable_start_[size_t(h) + 1]; ++i) {
                const int32_t x = movable_[size_t(i)];
                const double base = lh - r_[size_t(x)] + double(rn[x * N + h] - 1) * (dn_[size_t(x)] - r_[size_t(x)]);
                for (const Key& key : keys2_) {
                    const int32_t y = key.e;
                    ++work;
                    if (!(base + key.v < best)) break;
                    if (y == x || rn[y * N + h] >= m) continue;
                    work += 1 + N;
                    const double v = count_move_max(x, h, y, h, lh);
                    if (v < best) best = v, kind = 3, bx = x, bb = h, by = y;
                }
            }
        }
        if (kind == 0) break;
        if (kind == 1) {
            --rn[bx * N + h], ++rn[bx * N + bb];
            --rn[by * N + bb], ++rn[by * N + h];
            const double d = r_[size_t(bx)] - r_[size_t(by)];
            load_[size_t(h)] -= d;
            load_[size_t(bb)] += d;
        } else {  // kinds 2 and 3: the loads of x's and y's nodes change
            for (int32_t n = 0; n < N; ++n)
                load_[size_t(n)] -= double(rn[bx * N + n]) * r_[size_t(bx)] + double(rn[by * N + n]) * r_[size_t(by)];
            apply_count_move(bx, bb, by);
            for (int32_t n = 0; n < N; ++n)
                load_[size_t(n)] += double(rn[bx * N + n]) * r_[size_t(bx)] + double(rn[by * N + n]) * r_[size_t(by)];
        }
        work += 4 * N;
    }
}

}  // namespace eplb::detail

#include "incremental.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <tuple>

#include "eplb/error.hpp"
#include "scenario_placer.hpp"

namespace eplb::detail {
namespace {

constexpr int64_t kExactAssignment = 128;

// Hungarian algorithm (shortest augmenting paths with potentials), minimising cost[i][j] (n x n,
// row-major) into assign[n]. Scratch: u, v, minv of n + 1 each, p, way of n + 1, used of n + 1.
void hungarian_min(const int64_t* cost, int32_t n, int32_t* assign, int64_t* u, int64_t* v, int64_t* minv, int32_t* p,
                   int32_t* way, char* used) {
    const int64_t inf = std::numeric_limits<int64_t>::max() / 4;
    std::fill(u, u + n + 1, 0);
    std::fill(v, v + n + 1, 0);
    std::fill(p, p + n + 1, 0);
    std::fill(way, way + n + 1, 0);
    for (int32_t i = 1; i <= n; ++i) {
        p[0] = i;
        int32_t j0 = 0;
        std::fill(minv, minv + n + 1, inf);
        std::fill(used, used + n + 1, 0);
        do {
            used[j0] = 1;
            const int32_t i0 = p[j0];
            int64_t delta = inf;
            int32_t j1 = 0;
            for (int32_t j = 1; j <= n; ++j) {
                if (used[j]) continue;
                const int64_t cur = cost[size_t(i0 - 1) * size_t(n) + size_t(j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) minv[j] = cur, way[j] = j0;
                if (minv[j] < delta) delta = minv[j], j1 = j;
            }
            for (int32_t j = 0; j <= n; ++j) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            const int32_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    std::fill(assign, assign + n, -1);
    for (int32_t j = 1; j <= n; ++j)
        if (p[j] > 0) assign[p[j] - 1] = j - 1;
}

// Minimum-cost assignment of top - weight, its scratch on the stack for small n (the group maps: a
// few nodes), else on the heap.
void hungarian_max(const std::vector<int64_t>& weight, int64_t top, int32_t n, std::vector<int32_t>& assign) {
    assign.resize(size_t(n));
    const size_t cells = size_t(n) * size_t(n);
    constexpr int32_t kSmall = 16;
    if (n <= kSmall) {
        int64_t cost[kSmall * kSmall];
        for (size_t i = 0; i < cells; ++i) cost[i] = top - weight[i];
        int64_t u[kSmall + 1], v[kSmall + 1], minv[kSmall + 1];
        int32_t p[kSmall + 1], way[kSmall + 1];
        char used[kSmall + 1];
        hungarian_min(cost, n, assign.data(), u, v, minv, p, way, used);
        return;
    }
    std::vector<int64_t> cost(cells);
    for (size_t i = 0; i < cells; ++i) cost[i] = top - weight[i];
    std::vector<int64_t> u(size_t(n) + 1), v(size_t(n) + 1), minv(size_t(n) + 1);
    std::vector<int32_t> p(size_t(n) + 1), way(size_t(n) + 1);
    std::vector<char> used(size_t(n) + 1);
    hungarian_min(cost.data(), n, assign.data(), u.data(), v.data(), minv.data(), p.data(), way.data(), used.data());
}

}  // namespace

IncrementalStats& incremental_totals() {
    static IncrementalStats totals;
    return totals;
}

void max_weight_assignment(const std::vector<int64_t>& weight, int32_t n, std::vector<int32_t>& assign) {
    if (n <= 0) {
        assign.clear();
        return;
    }
    if (n <= kExactAssignment) {
        int64_t top = 0;
        for (size_t i = 0; i < size_t(n) * size_t(n); ++i) top = std::max(top, weight[i]);
        hungarian_max(weight, top, n, assign);
        return;
    }
    // Greedy: heaviest pairs first (ties: lower row, then lower column), then the rest in order.
    std::vector<std::tuple<int64_t, int32_t, int32_t>> pairs;
    for (int32_t i = 0; i < n; ++i)
        for (int32_t j = 0; j < n; ++j)
            if (weight[size_t(i) * size_t(n) + size_t(j)] > 0)
                pairs.emplace_back(-weight[size_t(i) * size_t(n) + size_t(j)], i, j);
    std::sort(pairs.begin(), pairs.end());
    assign.assign(size_t(n), -1);
    std::vector<char> col_used(size_t(n), 0);
    for (const auto& [negw, i, j] : pairs) {
        (void)negw;
        if (assign[size_t(i)] < 0 && !col_used[size_t(j)]) assign[size_t(i)] = j, col_used[size_t(j)] = 1;
    }
    int32_t j = 0;
    for (int32_t i = 0; i < n; ++i) {
        if (assign[size_t(i)] >= 0) continue;
        while (col_used[size_t(j)]) ++j;
        assign[size_t(i)] = j;
        col_used[size_t(j)] = 1;
    }
}

Incremental::Maxima Incremental::maxima(const int32_t* row, double kappa) {
    count_.assign(size_t(E_), 0);
    for (int32_t s = 0; s < R_; ++s) ++count_[size_t(row[s])];
    Maxima m;
    for (int32_t g = 0; g < G_; ++g) {
        double sum = 0, sq = 0;
        for (int32_t s = g * spg_; s < (g + 1) * spg_; ++s) {
            const double r = w_[row[s]] / double(count_[size_t(row[s])]);
            sum += r;
            sq += r * r;
            m.replica = std::max(m.replica, r);
        }
        m.load = std::max(m.load, sum);
        m.robust = std::max(m.robust, sum + kappa * std::sqrt(sq));
    }
    std::fill(count_.begin(), count_.end(), 0);
    return m;
}

void Incremental::relabel(const int32_t* fresh, const int32_t* prev, int32_t* out) {
    count_.assign(size_t(E_), 0);
    // Slots of `a` that find their expert among the slots of `b` (multiset intersection).
    auto intersect = [&](const int32_t* a, const int32_t* b, int32_t len) {
        for (int32_t i = 0; i < len; ++i) ++count_[size_t(b[i])];
        int64_t r = 0;
        for (int32_t i = 0; i < len; ++i)
            if (count_[size_t(a[i])] > 0) ++r, --count_[size_t(a[i])];
        for (int32_t i = 0; i < len; ++i) count_[size_t(b[i])] = 0;
        return r;
    };
    // Nodes (only where the policy ties groups to nodes; otherwise one node of all GPUs).
    std::vector<int32_t> node_assign(size_t(N_), 0);
    if (N_ > 1) {
        weight_.assign(size_t(N_) * size_t(N_), 0);
        for (int32_t a = 0; a < N_; ++a)
            for (int32_t b = 0; b < N_; ++b)
                weight_[size_t(a) * size_t(N_) + size_t(b)] = intersect(fresh + a * spn_, prev + b * spn_, spn_);
        max_weight_assignment(weight_, N_, node_assign);
    }
    std::vector<int32_t> gpu_assign;
    tmp_.assign(size_t(spg_), 0);
    for (int32_t a = 0; a < N_; ++a) {
        const int32_t b = node_assign[size_t(a)];
        weight_.assign(size_t(gpn_) * size_t(gpn_), 0);
        for (int32_t i = 0; i < gpn_; ++i)
            for (int32_t j = 0; j < gpn_; ++j)
                weight_[size_t(i) * size_t(gpn_) + size_t(j)] =
                    intersect(fresh + (a * gpn_ + i) * spg_, prev + (b * gpn_ + j) * spg_, spg_);
        max_weight_assignment(weight_, gpn_, gpu_assign);
        for (int32_t i = 0; i < gpn_; ++i) {
            const int32_t* src = fresh + (a * gpn_ + i) * spg_;
            const int32_t base = (b * gpn_ + gpu_assign[size_t(i)]) * spg_;
            for (int32_t k = 0; k < spg_; ++k) ++count_[size_t(src[k])];
            // Experts that were in this GPU keep their slot.
            for (int32_t k = 0; k < spg_; ++k) {
                const int32_t e = prev[base + k];
                tmp_[size_t(k)] = 0;
                if (count_[size_t(e)] > 0) --count_[size_t(e)], out[base + k] = e, tmp_[size_t(k)] = 1;
            }
            // The others fill the free slots in their fresh order.
            int32_t k = 0;
            for (int32_t q = 0; q < spg_; ++q) {
                const int32_t e = src[q];
                if (count_[size_t(e)] == 0) continue;
                --count_[size_t(e)];
                while (tmp_[size_t(k)]) ++k;
                out[base + k] = e;
                tmp_[size_t(k)] = 1;
            }
        }
    }
}

bool Incremental::policy_holds(const int32_t* prev) {
    group_node_.assign(size_t(groups_), -1);
    if (policy_ == Policy::global || N_ == 1) {
        std::fill(group_node_.begin(), group_node_.end(), 0);
        return true;
    }
    if (policy_ == Policy::hierarchical) {
        for (int32_t s = 0; s < R_; ++s) {
            const int32_t g = prev[s] / group_size_, n = s / spn_;
            if (group_node_[size_t(g)] < 0) group_node_[size_t(g)] = n;
            else if (group_node_[size_t(g)] != n) return false;
        }
        for (int32_t g = 0; g < groups_; ++g)
            if (group_node_[size_t(g)] < 0) return false;
        return true;
    }
    // Hybrid: a group's home node is the node holding most of its experts (ties: lower node); every
    // expert of the group must have a replica there.
    std::vector<int32_t> stamp(size_t(E_), -1), distinct(size_t(groups_), 0), best(size_t(groups_), -1);
    for (int32_t n = 0; n < N_; ++n) {
        std::fill(distinct.begin(), distinct.end(), 0);
        for (int32_t s = n * spn_; s < (n + 1) * spn_; ++s) {
            const int32_t e = prev[s];
            if (stamp[size_t(e)] != n) stamp[size_t(e)] = n, ++distinct[size_t(e / group_size_)];
        }
        for (int32_t g = 0; g < groups_; ++g)
            if (distinct[size_t(g)] > best[size_t(g)]) best[size_t(g)] = distinct[size_t(g)], group_node_[size_t(g)] = n;
    }
    for (int32_t g = 0; g < groups_; ++g)
        if (best[size_t(g)] != group_size_) return false;
    return true;
}

int64_t Incremental::repair(const int32_t* start, const int32_t* prev, int32_t* out, const Targets& tg, int64_t budget) {
    const double* w = w_;
    const bool hybrid = policy_ == Policy::hybrid && N_ > 1;
    const bool hier = policy_ == Policy::hierarchical && N_ > 1;
    // Two replicas of one expert on one GPU are avoided whenever the GPU's region has enough experts.
    const bool dup_ok = spg_ > (hier ? E_ / N_ : E_);

    x_.assign(start, start + R_);
    cnt_.assign(size_t(E_), 0);
    head_.assign(size_t(E_), -1);
    next_.assign(size_t(R_), -1);
    for (int32_t s = R_ - 1; s >= 0; --s) {
        const int32_t e = x_[size_t(s)];
        ++cnt_[size_t(e)];
        next_[size_t(s)] = head_[size_t(e)];
        head_[size_t(e)] = s;
    }
    home_cnt_.assign(size_t(E_), 0);
    if (hybrid)
        for (int32_t s = 0; s < R_; ++s)
            if (s / spn_ == group_node_[size_t(x_[size_t(s)] / group_size_)]) ++home_cnt_[size_t(x_[size_t(s)])];
    if (!(tg.load > 0) || !(tg.robust > 0) || !(tg.replica > 0)) {  // an all-zero layer
        std::copy(x_.begin(), x_.end(), out);
        int64_t d = 0;
        for (int32_t s = 0; s < R_; ++s) d += x_[size_t(s)] != prev[s];
        return d;
    }
    const double inv_t = 1.0 / tg.load, inv_s = 1.0 / tg.robust, inv_r = 1.0 / tg.replica, kappa = tg.kappa;
    // A GPU's pressure: its load and its robust load (load + kappa * sqrt(sum of squared replica
    // loads), the load it reaches when its experts' loads drift), each against its target.
    auto pressure = [&](double l, double q) { return std::max(l * inv_t, (l + kappa * std::sqrt(std::max(q, 0.0))) * inv_s); };
    load_.assign(size_t(G_), 0);
    sq_.assign(size_t(G_), 0);
    auto recompute = [&](int32_t g) {
        double sum = 0, sq = 0;
        for (int32_t s = g * spg_; s < (g + 1) * spg_; ++s) {
            const double r = w[x_[size_t(s)]] / double(cnt_[size_t(x_[size_t(s)])]);
            sum += r;
            sq += r * r;
        }
        load_[size_t(g)] = sum;
        sq_[size_t(g)] = sq;
    };
    for (int32_t g = 0; g < G_; ++g) recompute(g);
    delta_.assign(size_t(G_), 0);
    dsq_.assign(size_t(G_), 0);
    is_touched_.assign(size_t(G_), 0);
    touched_.clear();
    auto touch = [&](int32_t g, double d, double dq) {
        if (!is_touched_[size_t(g)]) is_touched_[size_t(g)] = 1, touched_.push_back(g);
        delta_[size_t(g)] += d;
        dsq_[size_t(g)] += dq;
    };
    auto settle = [&]() {  // the largest new pressure over the touched GPUs; clears them
        double m = 0;
        for (int32_t g : touched_) {
            m = std::max(m, pressure(load_[size_t(g)] + delta_[size_t(g)], sq_[size_t(g)] + dsq_[size_t(g)]));
            delta_[size_t(g)] = 0;
            dsq_[size_t(g)] = 0;
            is_touched_[size_t(g)] = 0;
        }
        touched_.clear();
        return m;
    };
    auto on_gpu = [&](int32_t e, int32_t g) {
        for (int32_t s = g * spg_; s < (g + 1) * spg_; ++s)
            if (x_[size_t(s)] == e) return true;
        return false;
    };
    // Slot s takes expert b: the largest new GPU load among the GPUs it changes (and `gstar`).
    auto eval_reassign = [&](int32_t s, int32_t b, int32_t gstar) {
        const int32_t a = x_[size_t(s)];
        const double ra = w[a] / double(cnt_[size_t(a)]), ra2 = w[a] / double(cnt_[size_t(a)] - 1);
        const double rb = w[b] / double(cnt_[size_t(b)]), rb2 = w[b] / double(cnt_[size_t(b)] + 1);
        touch(gstar, 0, 0);
        for (int32_t t = head_[size_t(a)]; t >= 0; t = next_[size_t(t)])
            touch(t / spg_, t == s ? -ra : ra2 - ra, t == s ? -ra * ra : ra2 * ra2 - ra * ra);
        for (int32_t t = head_[size_t(b)]; t >= 0; t = next_[size_t(t)]) touch(t / spg_, rb2 - rb, rb2 * rb2 - rb * rb);
        touch(s / spg_, rb2, rb2 * rb2);
        return settle();
    };
    auto changed = [&](int32_t s, int32_t e) { return e != prev[s] ? 1 : 0; };
    auto unlink = [&](int32_t s, int32_t e) {
        int32_t* p = &head_[size_t(e)];
        while (*p != s) p = &next_[size_t(*p)];
        *p = next_[size_t(s)];
    };
    auto link = [&](int32_t s, int32_t e) {  // keeps each list ascending
        int32_t* p = &head_[size_t(e)];
        while (*p >= 0 && *p < s) p = &next_[size_t(*p)];
        next_[size_t(s)] = *p;
        *p = s;
    };
    auto home_of = [&](int32_t e) { return group_node_[size_t(e / group_size_)]; };
    // Hybrid: may expert e leave a slot on node n (to another node or to nothing)?
    auto may_leave = [&](int32_t e, int32_t n) { return !hybrid || n != home_of(e) || home_cnt_[size_t(e)] >= 2; };

    int64_t diff = 0;
    for (int32_t s = 0; s < R_; ++s) diff += x_[size_t(s)] != prev[s];
    auto do_swap = [&](int32_t s, int32_t t) {
        const int32_t a = x_[size_t(s)], b = x_[size_t(t)];
        diff += changed(s, b) - changed(s, a) + changed(t, a) - changed(t, b);
        if (hybrid && s / spn_ != t / spn_) {
            if (s / spn_ == home_of(a)) --home_cnt_[size_t(a)];
            if (t / spn_ == home_of(a)) ++home_cnt_[size_t(a)];
            if (t / spn_ == home_of(b)) --home_cnt_[size_t(b)];
            if (s / spn_ == home_of(b)) ++home_cnt_[size_t(b)];
        }
        unlink(s, a);
        unlink(t, b);
        x_[size_t(s)] = b;
        x_[size_t(t)] = a;
        link(s, b);
        link(t, a);
        recompute(s / spg_);
        recompute(t / spg_);
    };
    const int64_t max_steps = 4 * int64_t(R_) + 64;
    int64_t unlocks = 0;
    const int64_t max_unlocks = std::max<int64_t>(8, R_ / 16);
    // Potential: the largest GPU pressure or replica load / replica target; a step must lower the
    // bottleneck without raising anything it touches to the bottleneck's level.
    for (int64_t step = 0; step < max_steps; ++step) {
        int32_t gs = 0;
        double phi_gpu = pressure(load_[0], sq_[0]);
        for (int32_t g = 1; g < G_; ++g) {
            const double p = pressure(load_[size_t(g)], sq_[size_t(g)]);
            if (p > phi_gpu) phi_gpu = p, gs = g;
        }
        int32_t ea = 0;
        for (int32_t e = 1; e < E_; ++e)
            if (w[e] / double(cnt_[size_t(e)]) > w[ea] / double(cnt_[size_t(ea)])) ea = e;
        const double phi_rep = w[ea] / double(cnt_[size_t(ea)]) * inv_r;
        const double phi = std::max(phi_gpu, phi_rep);
        if (phi <= 1) break;
        const double min_gain = phi * 1e-9;
        const bool gpu_phase = phi_gpu >= phi_rep;
        // Hierarchical: the region is the bottleneck's node; otherwise every slot and expert.
        const int32_t node = !hier ? 0 : gpu_phase ? gs / gpn_ : group_node_[size_t(ea / group_size_)];
        const int32_t slot_lo = hier ? node * spn_ : 0, slot_hi = hier ? (node + 1) * spn_ : R_;

        // Best move: kind 0 none, 1 reassign (slot bs takes expert bt), 2 swap (slots bs, bt).
        int kind = 0;
        int32_t bs = -1, bt = -1;
        double best = 0;
        auto consider = [&](double newmax_gpu, double newmax_rep, int64_t cost, int k, int32_t s, int32_t t) {
            const double nphi = std::max(newmax_gpu, newmax_rep * inv_r);
            if (!(nphi < phi - min_gain) || diff + cost > budget) return false;
            const double ratio = (phi - std::max(nphi, 1.0)) / (double(std::max<int64_t>(cost, 0)) + 0.25);
            if (!(ratio > best)) return false;
            best = ratio, kind = k, bs = s, bt = t;
            return true;
        };
        // New replica loads when slot s changes from its expert to b.
        auto rep_after = [&](int32_t s, int32_t b) {
            const int32_t a = x_[size_t(s)];
            return std::max(w[a] / double(cnt_[size_t(a)] - 1), w[b] / double(cnt_[size_t(b)] + 1));
        };
        if (!gpu_phase) {
            // The heaviest replica: a slot of the region takes one more replica of its expert.
            for (int32_t t = slot_lo; t < slot_hi; ++t) {
                const int32_t gt = t / spg_;
                const int32_t c = x_[size_t(t)];
                if (c == ea || cnt_[size_t(c)] < 2 || !may_leave(c, t / spn_)) continue;
                if (w[c] / double(cnt_[size_t(c)] - 1) * inv_r >= phi) continue;
                if ((load_[size_t(gt)] + w[ea] / double(cnt_[size_t(ea)] + 1) - w[c] / double(cnt_[size_t(c)])) * inv_t >= phi)
                    continue;
                const int64_t cost = changed(t, ea) - changed(t, c);
                if (diff + cost > budget) continue;
                if (!dup_ok && on_gpu(ea, gt)) continue;
                consider(eval_reassign(t, ea, gs), rep_after(t, ea), cost, 1, t, ea);
            }
        } else {
            region_experts_.clear();
            for (int32_t e = 0; e < E_; ++e)
                if (!hier || group_node_[size_t(e / group_size_)] == node) region_experts_.push_back(e);
            for (int32_t s = gs * spg_; s < (gs + 1) * spg_; ++s) {
                const int32_t a = x_[size_t(s)];
                const double ra = w[a] / double(cnt_[size_t(a)]);
                // 1. This slot takes another expert of the region.
                if (cnt_[size_t(a)] >= 2 && may_leave(a, s / spn_) && w[a] / double(cnt_[size_t(a)] - 1) * inv_r < phi) {
                    for (int32_t b : region_experts_) {
                        if (b == a || w[b] / double(cnt_[size_t(b)] + 1) >= ra) continue;
                        if (!dup_ok && on_gpu(b, gs)) continue;
                        const int64_t cost = changed(s, b) - changed(s, a);
                        if (diff + cost > budget) continue;
                        consider(eval_reassign(s, b, gs), rep_after(s, b), cost, 1, s, b);
                    }
                }
                // 2. Swap with a lighter replica elsewhere in the region.
                for (int32_t t = slot_lo; t < slot_hi; ++t) {
                    const int32_t gt = t / spg_;
                    if (gt == gs) continue;
                    const int32_t b = x_[size_t(t)];
                    if (b == a) continue;
                    const double rb = w[b] / double(cnt_[size_t(b)]);
                    if (rb >= ra) continue;
                    const int64_t cost = changed(s, b) - changed(s, a) + changed(t, a) - changed(t, b);
                    if (diff + cost > budget) continue;
                    if (hybrid && s / spn_ != t / spn_ && (!may_leave(a, s / spn_) || !may_leave(b, t / spn_))) continue;
                    if (!dup_ok && (on_gpu(b, gs) || on_gpu(a, gt))) continue;
                    const double dq = rb * rb - ra * ra;
                    consider(std::max(pressure(load_[size_t(gs)] - ra + rb, sq_[size_t(gs)] + dq),
                                      pressure(load_[size_t(gt)] + ra - rb, sq_[size_t(gt)] - dq)),
                             0, cost, 2, s, t);
                }
            }
            // 3. A slot elsewhere in the region takes an expert of the busiest GPU (one more replica).
            for (int32_t s = gs * spg_; s < (gs + 1) * spg_; ++s) {
                const int32_t a = x_[size_t(s)];
                bool seen = false;
                for (int32_t q = gs * spg_; q < s; ++q) seen = seen || x_[size_t(q)] == a;
                if (seen || w[a] <= 0) continue;
                for (int32_t t = slot_lo; t < slot_hi; ++t) {
                    const int32_t gt = t / spg_;
                    const int32_t c = x_[size_t(t)];
                    if (gt == gs || c == a || cnt_[size_t(c)] < 2 || !may_leave(c, t / spn_)) continue;
                    if (w[c] / double(cnt_[size_t(c)] - 1) * inv_r >= phi) continue;
                    // gt gains a replica of a and loses one of c (its other GPUs only gain more).
                    if ((load_[size_t(gt)] + w[a] / double(cnt_[size_t(a)] + 1) - w[c] / double(cnt_[size_t(c)])) * inv_t >= phi)
                        continue;
                    const int64_t cost = changed(t, a) - changed(t, c);
                    if (diff + cost > budget) continue;
                    if (!dup_ok && on_gpu(a, gt)) continue;
                    consider(eval_reassign(t, a, gs), rep_after(t, a), cost, 1, t, a);
                }
            }
        }
        // 4. Nothing single helps: exchange two slots of the busiest GPU with two of another GPU
        //    of the region (finer load differences than one swap).
        int32_t bs2 = -1, bt2 = -1;
        if (kind == 0 && gpu_phase) {
            for (int32_t gt = slot_lo / spg_; gt < slot_hi / spg_; ++gt) {
                if (gt == gs) continue;
                for (int32_t s1 = gs * spg_; s1 < (gs + 1) * spg_; ++s1)
                    for (int32_t s2 = s1 + 1; s2 < (gs + 1) * spg_; ++s2) {
                        const int32_t a1 = x_[size_t(s1)], a2 = x_[size_t(s2)];
                        const double ra1 = w[a1] / double(cnt_[size_t(a1)]), ra2 = w[a2] / double(cnt_[size_t(a2)]);
                        for (int32_t t1 = gt * spg_; t1 < (gt + 1) * spg_; ++t1)
                            for (int32_t t2 = t1 + 1; t2 < (gt + 1) * spg_; ++t2) {
                                const int32_t b1 = x_[size_t(t1)], b2 = x_[size_t(t2)];
                                const double rb1 = w[b1] / double(cnt_[size_t(b1)]), rb2 = w[b2] / double(cnt_[size_t(b2)]);
                                const double d = ra1 + ra2 - rb1 - rb2;
                                if (!(d > 0)) continue;
                                if (hybrid && gs / gpn_ != gt / gpn_) continue;
                                if (!dup_ok && (b1 == b2 || a1 == a2 || on_gpu(b1, gs) || on_gpu(b2, gs) ||
                                                on_gpu(a1, gt) || on_gpu(a2, gt)))
                                    continue;
                                const int64_t cost = changed(s1, b1) - changed(s1, a1) + changed(t1, a1) - changed(t1, b1) +
                                                     changed(s2, b2) - changed(s2, a2) + changed(t2, a2) - changed(t2, b2);
                                if (diff + cost > budget) continue;
                                const double dq = rb1 * rb1 + rb2 * rb2 - ra1 * ra1 - ra2 * ra2;
                                const double nphi = std::max(pressure(load_[size_t(gs)] - d, sq_[size_t(gs)] + dq),
                                                             pressure(load_[size_t(gt)] + d, sq_[size_t(gt)] - dq));
                                if (consider(nphi, 0, cost, 3, s1, t1)) bs2 = s2, bt2 = t2;
                            }
                    }
            }
        }
        // 5. Still stuck: even out the pair of GPUs of the region where one swap lowers the sum of
        //    squared loads most (never raising a GPU to the bottleneck's level); this changes what
        //    the busiest GPU can swap with.
        if (kind == 0 && unlocks < max_unlocks) {
            double best_gain = 0;
            // The 16 busiest against the 16 idlest GPUs of the region (all of them in small regions).
            order_.clear();
            for (int32_t g = slot_lo / spg_; g < slot_hi / spg_; ++g) order_.push_back(g);
            std::stable_sort(order_.begin(), order_.end(),
                             [&](int32_t a, int32_t b) { return load_[size_t(a)] > load_[size_t(b)]; });
            const size_t k = std::min<size_t>(16, order_.size());
            for (size_t i1 = 0; i1 < k; ++i1)
                for (size_t i2 = order_.size() - k; i2 < order_.size(); ++i2) {
                    const int32_t g1 = order_[i1], g2 = order_[i2];
                    if (g1 == g2 || load_[size_t(g1)] <= load_[size_t(g2)]) continue;
                    const double gap = load_[size_t(g1)] - load_[size_t(g2)];
                    for (int32_t s1 = g1 * spg_; s1 < (g1 + 1) * spg_; ++s1) {
                        const int32_t a = x_[size_t(s1)];
                        const double ra = w[a] / double(cnt_[size_t(a)]);
                        for (int32_t t1 = g2 * spg_; t1 < (g2 + 1) * spg_; ++t1) {
                            const int32_t b = x_[size_t(t1)];
                            const double d = ra - w[b] / double(cnt_[size_t(b)]);
                            if (!(d > 0) || !(d < gap)) continue;
                            const int64_t cost = changed(s1, b) - changed(s1, a) + changed(t1, a) - changed(t1, b);
                            if (diff + cost > budget) continue;
                            if (hybrid && g1 / gpn_ != g2 / gpn_) continue;
                            if (!dup_ok && (on_gpu(b, g1) || on_gpu(a, g2))) continue;
                            const double rb = ra - d, dq = rb * rb - ra * ra;
                            if (pressure(load_[size_t(g2)] + d, sq_[size_t(g2)] - dq) >= phi - min_gain) continue;
                            const double gain = 2 * d * (gap - d) / (double(std::max<int64_t>(cost, 0)) + 0.25);
                            if (gain > best_gain * (1 + 1e-12)) best_gain = gain, bs = s1, bt = t1;
                        }
                    }
                }
            if (best_gain > 0) {
                ++unlocks;
                do_swap(bs, bt);
                continue;
            }
        }
        if (kind == 0) break;

        if (kind == 1) {  // slot bs takes expert bt
            const int32_t s = bs, b = bt, a = x_[size_t(s)];
            diff += changed(s, b) - changed(s, a);
            if (hybrid) {
                if (s / spn_ == home_of(a)) --home_cnt_[size_t(a)];
                if (s / spn_ == home_of(b)) ++home_cnt_[size_t(b)];
            }
            unlink(s, a);
            --cnt_[size_t(a)];
            x_[size_t(s)] = b;
            link(s, b);
            ++cnt_[size_t(b)];
            touched_.clear();
            for (int32_t t = head_[size_t(a)]; t >= 0; t = next_[size_t(t)]) touch(t / spg_, 0, 0);
            for (int32_t t = head_[size_t(b)]; t >= 0; t = next_[size_t(t)]) touch(t / spg_, 0, 0);
            for (int32_t g : touched_) recompute(g);
            settle();
        } else if (kind == 2) {  // swap slots bs and bt
            do_swap(bs, bt);
        } else {  // exchange slots bs, bs2 with bt, bt2
            do_swap(bs, bt);
            do_swap(bs2, bt2);
        }
    }
    std::copy(x_.begin(), x_.end(), out);
    return diff;
}

void Incremental::anchor(const int32_t* prev, int32_t* out) {
    // Replica counts: D'Hondt inside each region (the node of each group for the hierarchical
    // policy, else all slots), as the reference decides them.
    const bool hier = policy_ == Policy::hierarchical && N_ > 1;
    const int32_t regions = hier ? N_ : 1, per_region = R_ / regions;
    std::vector<int32_t> want(size_t(E_), 1), have(size_t(E_), 0), region_of(size_t(E_), 0);
    for (int32_t e = 0; e < E_; ++e) region_of[size_t(e)] = hier ? group_node_[size_t(e / group_size_)] : 0;
    std::vector<int32_t> used(size_t(regions), 0);
    for (int32_t e = 0; e < E_; ++e) ++used[size_t(region_of[size_t(e)])];
    for (int32_t r = 0; r < regions; ++r)
        for (; used[size_t(r)] < per_region; ++used[size_t(r)]) {
            int32_t pick = -1;
            for (int32_t e = 0; e < E_; ++e) {
                if (region_of[size_t(e)] != r) continue;
                if (pick < 0 || w_[e] / double(want[size_t(e)]) > w_[pick] / double(want[size_t(pick)])) pick = e;
            }
            ++want[size_t(pick)];
        }
    for (int32_t s = 0; s < R_; ++s) ++have[size_t(prev[s])];
    std::copy(prev, prev + R_, out);
    // GPU loads with the new counts; surplus replicas leave the busiest GPUs first.
    std::vector<double> gl(size_t(G_), 0.0);
    for (int32_t s = 0; s < R_; ++s) gl[size_t(s / spg_)] += w_[prev[s]] / double(want[size_t(prev[s])]);
    for (int32_t e = 0; e < E_; ++e)
        while (have[size_t(e)] > want[size_t(e)]) {
            int32_t pick = -1;
            for (int32_t s = 0; s < R_; ++s)
                if (out[s] == e && (pick < 0 || gl[size_t(s / spg_)] > gl[size_t(pick / spg_)])) pick = s;
            gl[size_t(pick / spg_)] -= w_[e] / double(want[size_t(e)]);
            out[pick] = -1;
            --have[size_t(e)];
        }
    // Missing replicas, heaviest first, into the free slot of their region on the lightest GPU
    // (avoiding a second replica on one GPU when possible).
    std::vector<std::pair<double, int32_t>> todo;
    for (int32_t e = 0; e < E_; ++e)
        for (int32_t k = have[size_t(e)]; k < want[size_t(e)]; ++k) todo.push_back({-w_[e] / double(want[size_t(e)]), e});
    std::sort(todo.begin(), todo.end());
    auto on_gpu = [&](int32_t e, int32_t g) {
        for (int32_t s = g * spg_; s < (g + 1) * spg_; ++s)
            if (out[s] == e) return true;
        return false;
    };
    for (const auto& [negr, e] : todo) {
        const int32_t lo = hier ? region_of[size_t(e)] * spn_ : 0, hi = hier ? lo + spn_ : R_;
        int32_t pick = -1;
        bool pick_dup = true;
        for (int32_t s = lo; s < hi; ++s) {
            if (out[s] != -1) continue;
            const bool dup = on_gpu(e, s / spg_);
            if (pick < 0 || (pick_dup && !dup) ||
                (dup == pick_dup && gl[size_t(s / spg_)] < gl[size_t(pick / spg_)]))
                pick = s, pick_dup = dup;
        }
        out[pick] = e;
        gl[size_t(pick / spg_)] += -negr;
    }
}

bool Incremental::swap_groups(const int32_t* prev, int32_t* out, double load_target, int32_t pref1, int32_t pref2) {
    // Group totals and the groups of each node (group_node_ holds prev's mapping).
    std::vector<double> gsum(size_t(groups_), 0.0), nsum(size_t(N_), 0.0);
    for (int32_t e = 0; e < E_; ++e) gsum[size_t(e / group_size_)] += w_[e];
    for (int32_t g = 0; g < groups_; ++g) nsum[size_t(group_node_[size_t(g)])] += gsum[size_t(g)];
    int32_t A = 0;
    for (int32_t n = 1; n < N_; ++n)
        if (nsum[size_t(n)] > nsum[size_t(A)]) A = n;
    int32_t g1 = pref1, g2 = pref2;
    double best = nsum[size_t(A)];
    if (g1 < 0 && nsum[size_t(A)] / double(gpn_) <= load_target) return false;  // the node is not the obstacle
    for (int32_t a = 0; a < groups_ && pref1 < 0; ++a) {
        if (group_node_[size_t(a)] != A) continue;
        for (int32_t b = 0; b < groups_; ++b) {
            const int32_t B = group_node_[size_t(b)];
            if (B == A) continue;
            const double d = gsum[size_t(a)] - gsum[size_t(b)];
            const double m = std::max(nsum[size_t(A)] - d, nsum[size_t(B)] + d);
            if (m < best * (1 - 1e-12)) best = m, g1 = a, g2 = b;
        }
    }
    if (g1 < 0) return false;
    std::copy(prev, prev + R_, out);
    // Replicas of a group (slots in order) and the replica counts.
    std::vector<int32_t> cnt(size_t(E_), 0), s1, s2, r1, r2;
    for (int32_t s = 0; s < R_; ++s) ++cnt[size_t(prev[s])];
    for (int32_t s = 0; s < R_; ++s) {
        const int32_t g = prev[s] / group_size_;
        if (g == g1) s1.push_back(s), r1.push_back(prev[s]);
        if (g == g2) s2.push_back(s), r2.push_back(prev[s]);
    }
    // The group moving into fewer slots gives up its lightest spare replicas; the other group
    // takes the spare slots with replicas of its heaviest experts (by load per replica).
    auto shrink = [&](std::vector<int32_t>& reps, size_t n) {
        while (reps.size() > n) {
            size_t pick = reps.size();
            double low = 0;
            for (size_t i = 0; i < reps.size(); ++i) {
                const int32_t e = reps[i];
                if (cnt[size_t(e)] < 2) continue;
                const double v = w_[e] / double(cnt[size_t(e)] - 1);
                if (pick == reps.size() || v < low) low = v, pick = i;
            }
            if (pick == reps.size()) return false;
            --cnt[size_t(reps[pick])];
            reps.erase(reps.begin() + std::ptrdiff_t(pick));
        }
        return true;
    };
    auto grow = [&](std::vector<int32_t>& reps, size_t n, int32_t group) {
        while (reps.size() < n) {
            int32_t pick = group * group_size_;
            for (int32_t e = group * group_size_; e < (group + 1) * group_size_; ++e)
                if (w_[e] / double(cnt[size_t(e)] + 1) > w_[pick] / double(cnt[size_t(pick)] + 1)) pick = e;
            ++cnt[size_t(pick)];
            reps.push_back(pick);
        }
    };
    if (!shrink(r1, s2.size()) || !shrink(r2, s1.size())) return false;
    grow(r1, s2.size(), g1);
    grow(r2, s1.size(), g2);
    // Heaviest replica first into the free slot on the lightest GPU (a GPU without that expert
    // when possible), GPU loads counting the slots that stay.
    for (int32_t s : s1) out[s] = -1;
    for (int32_t s : s2) out[s] = -1;
    std::vector<double> gl(size_t(G_), 0.0);
    for (int32_t s = 0; s < R_; ++s)
        if (out[s] >= 0) gl[size_t(s / spg_)] += w_[out[s]] / double(cnt[size_t(out[s])]);
    auto fill = [&](const std::vector<int32_t>& slots, std::vector<int32_t> reps) {
        std::stable_sort(reps.begin(), reps.end(), [&](int32_t a, int32_t b) {
            return w_[a] / double(cnt[size_t(a)]) > w_[b] / double(cnt[size_t(b)]);
        });
        for (int32_t e : reps) {
            int32_t pick = -1;
            bool pick_dup = true;
            for (int32_t s : slots) {
                if (out[s] != -1) continue;
                bool dup = false;
                for (int32_t q = (s / spg_) * spg_; q < (s / spg_ + 1) * spg_; ++q) dup = dup || out[q] == e;
                if (pick < 0 || (pick_dup && !dup) || (dup == pick_dup && gl[size_t(s / spg_)] < gl[size_t(pick / spg_)]))
                    pick = s, pick_dup = dup;
            }
            out[pick] = e;
            gl[size_t(pick / spg_)] += w_[e] / double(cnt[size_t(e)]);
        }
    };
    fill(s2, r1);
    fill(s1, r2);
    return true;
}

bool Incremental::best_group_swap(int32_t& g1, int32_t& g2, double& gain) {
    // Group totals and node loads under the current group-to-node map (group_node_).
    std::vector<double> gsum(size_t(groups_), 0.0), nsum(size_t(N_), 0.0);
    double tot = 0;
    for (int32_t e = 0; e < E_; ++e) gsum[size_t(e / group_size_)] += w_[e], tot += w_[e];
    for (int32_t g = 0; g < groups_; ++g) nsum[size_t(group_node_[size_t(g)])] += gsum[size_t(g)];
    const double nmean = tot / N_;
    g1 = g2 = -1;
    gain = 0;
    if (!(nmean > 0)) return false;
    const double before = soft_max(nsum, kNodeSoftness * nmean);
    double best = before;
    std::vector<double> after(nsum);
    for (int32_t a = 0; a < groups_; ++a)
        for (int32_t b = a + 1; b < groups_; ++b) {
            const int32_t A = group_node_[size_t(a)], B = group_node_[size_t(b)];
            if (A == B) continue;
            const double d = gsum[size_t(a)] - gsum[size_t(b)];
            after[size_t(A)] = nsum[size_t(A)] - d;
            after[size_t(B)] = nsum[size_t(B)] + d;
            const double m = soft_max(after, kNodeSoftness * nmean);
            after[size_t(A)] = nsum[size_t(A)];
            after[size_t(B)] = nsum[size_t(B)];
            if (m < best * (1 - 1e-12)) best = m, g1 = a, g2 = b;
        }
    gain = (before - best) / nmean;
    return g1 >= 0;
}

double Incremental::soft_max(const std::vector<double>& v, double scale) {
    const double top = *std::max_element(v.begin(), v.end());
    double z = 0;
    for (double x : v) z += std::exp((x - top) / scale);
    return top + scale * std::log(z);
}

bool Incremental::best_pairing(double mu, std::vector<int32_t>& target) {
    // Every partition of the groups into N_ blocks of groups_ / N_ (only when there are few); each
    // block goes to the physical node holding most of its groups (maximum assignment). Score: the
    // soft maximum of the node loads (scale kNodeSoftness * node mean) over the node mean, plus mu
    // per group that changes node. Returns false when there are too many partitions.
    const int32_t k = groups_ / N_;
    double count = 1;
    for (int32_t i = 2; i <= groups_; ++i) count *= i;
    for (int32_t n = 0; n < N_; ++n) {
        for (int32_t i = 2; i <= k; ++i) count /= i;
        count /= (n + 1);
    }
    if (count > double(kMaxPairings)) return false;
    std::vector<double> gsum(size_t(groups_), 0.0);
    double tot = 0;
    for (int32_t e = 0; e < E_; ++e) gsum[size_t(e / group_size_)] += w_[e], tot += w_[e];
    const double nmean = tot / N_;
    if (!(nmean > 0)) return false;
    std::vector<int32_t> block(size_t(groups_), -1), fill(size_t(N_), 0), assign;
    std::vector<double> bl(size_t(N_), 0.0);
    std::vector<int64_t> wgt(size_t(N_) * size_t(N_));
    double best = std::numeric_limits<double>::max();
    auto score = [&]() {
        // The soft maximum alone bounds the score from below: most partitions stop here.
        if (!(*std::max_element(bl.begin(), bl.end()) / nmean < best - 1e-12)) return;  // soft max >= max
        const double spread = soft_max(bl, kNodeSoftness * nmean) / nmean;
        if (!(spread < best - 1e-12)) return;
        std::fill(wgt.begin(), wgt.end(), 0);
        for (int32_t g = 0; g < groups_; ++g) ++wgt[size_t(block[size_t(g)]) * size_t(N_) + size_t(group_node_[size_t(g)])];
        max_weight_assignment(wgt, N_, assign);
        int32_t stay = 0;
        for (int32_t b = 0; b < N_; ++b) stay += int32_t(wgt[size_t(b) * size_t(N_) + size_t(assign[size_t(b)])]);
        const double sc = spread + mu * double(groups_ - stay);
        if (sc < best - 1e-12) {  // ties: the first partition in enumeration order
            best = sc;
            target.assign(size_t(groups_), 0);
            for (int32_t g = 0; g < groups_; ++g) target[size_t(g)] = assign[size_t(block[size_t(g)])];
        }
    };
    // Depth first: group g joins an open block with room or opens the next block.
    std::function<void(int32_t, int32_t)> rec = [&](int32_t g, int32_t opened) {
        if (g == groups_) {
            score();
            return;
        }
        for (int32_t b = 0; b < std::min(opened + 1, N_); ++b) {
            if (fill[size_t(b)] == k) continue;
            block[size_t(g)] = b;
            ++fill[size_t(b)];
            bl[size_t(b)] += gsum[size_t(g)];
            rec(g + 1, std::max(opened, b + 1));
            bl[size_t(b)] -= gsum[size_t(g)];
            --fill[size_t(b)];
        }
        block[size_t(g)] = -1;
    };
    rec(0, 0);
    return true;
}

int64_t Incremental::lazy_recount(int32_t* x) {
    // Replica counts moved towards D'Hondt's (inside each group's node for the hierarchical
    // policy) one replica at a time, only while it clearly pays: the expert with the heaviest
    // replica takes a slot of the expert whose replicas would stay lightest without it, when the
    // former's replica load exceeds the latter's by more than the factor 1 + kRecountMargin. The
    // slot taken is the donor's on the busiest GPU not holding the taker yet (if any).
    const bool hier = policy_ == Policy::hierarchical && N_ > 1;
    const int32_t regions = hier ? N_ : 1;
    cnt_.assign(size_t(E_), 0);
    for (int32_t q = 0; q < R_; ++q) ++cnt_[size_t(x[q])];
    std::vector<double> gl(size_t(G_), 0.0);
    auto loads = [&]() {
        std::fill(gl.begin(), gl.end(), 0.0);
        for (int32_t q = 0; q < R_; ++q) gl[size_t(q / spg_)] += w_[x[q]] / double(cnt_[size_t(x[q])]);
    };
    loads();
    int64_t changes = 0;
    for (int32_t rg = 0; rg < regions; ++rg) {
        const int32_t lo = hier ? rg * spn_ : 0, hi = hier ? lo + spn_ : R_;
        for (int32_t guard = 0; guard < R_; ++guard) {
            int32_t y = -1, d = -1;
            for (int32_t e = 0; e < E_; ++e) {
                if (hier && group_node_[size_t(e / group_size_)] != rg) continue;
                if (y < 0 || w_[e] / double(cnt_[size_t(e)]) > w_[y] / double(cnt_[size_t(y)])) y = e;
                if (cnt_[size_t(e)] >= 2 && (d < 0 || w_[e] / double(cnt_[size_t(e)] - 1) < w_[d] / double(cnt_[size_t(d)] - 1))) d = e;
            }
            if (y < 0 || d < 0 || y == d) break;
            if (!(w_[y] / double(cnt_[size_t(y)]) > (1 + kRecountMargin) * w_[d] / double(cnt_[size_t(d)] - 1))) break;
            int32_t pick = -1;
            bool pick_dup = true;
            for (int32_t q = lo; q < hi; ++q) {
                if (x[q] != d) continue;
                bool dup = false;
                for (int32_t u = (q / spg_) * spg_; u < (q / spg_ + 1) * spg_; ++u) dup = dup || x[u] == y;
                if (pick < 0 || (pick_dup && !dup) || (dup == pick_dup && gl[size_t(q / spg_)] > gl[size_t(pick / spg_)]))
                    pick = q, pick_dup = dup;
            }
            if (pick < 0) break;
            x[pick] = y;
            --cnt_[size_t(d)];
            ++cnt_[size_t(y)];
            ++changes;
            loads();
        }
    }
    return changes;
}

int64_t Incremental::soft_swaps(int32_t* x, const int32_t* prev) {
    // Swaps of two slots (inside one node for the hierarchical policy) that lower the soft maximum
    // of the GPU loads, s * log(sum_g exp(load_g / s)) with s = kGpuSoftness * mean GPU load, by
    // more than kMoveCost * mean GPU load per moved slot (a slot going back to its previous expert
    // counts -1); the best such swap first, until none is left. The GPUs giving load are the
    // kGivers busiest.
    const bool hier = policy_ == Policy::hierarchical && N_ > 1;
    const bool dup_ok = spg_ > (hier ? E_ / N_ : E_);
    cnt_.assign(size_t(E_), 0);
    for (int32_t q = 0; q < R_; ++q) ++cnt_[size_t(x[q])];
    std::vector<double> r(static_cast<size_t>(R_), 0.0), load(static_cast<size_t>(G_), 0.0), ex(static_cast<size_t>(G_), 0.0);
    double total = 0;
    for (int32_t q = 0; q < R_; ++q) {
        r[size_t(q)] = w_[x[q]] / double(cnt_[size_t(x[q])]);
        load[size_t(q / spg_)] += r[size_t(q)];
        total += r[size_t(q)];
    }
    int64_t diff = 0;
    for (int32_t q = 0; q < R_; ++q) diff += x[q] != prev[q];
    const double mean = total / G_;
    if (!(mean > 0)) return diff;
    const double scale = kGpuSoftness * mean, inv = 1.0 / scale;
    auto changed = [&](int32_t q, int32_t e) { return e != prev[q] ? 1 : 0; };
    auto on_gpu = [&](int32_t e, int32_t g) {
        for (int32_t q = g * spg_; q < (g + 1) * spg_; ++q)
            if (x[q] == e) return true;
        return false;
    };
    order_.resize(size_t(G_));
    const int32_t top = std::min<int32_t>(G_, kGivers);
    for (int64_t step = 0; step < 4 * int64_t(R_); ++step) {
        const double lmax = *std::max_element(load.begin(), load.end());
        double z = 0;
        for (int32_t g = 0; g < G_; ++g) z += ex[size_t(g)] = std::exp((load[size_t(g)] - lmax) * inv);
        for (int32_t g = 0; g < G_; ++g) order_[size_t(g)] = g;
        std::partial_sort(order_.begin(), order_.begin() + top, order_.end(), [&](int32_t a, int32_t b) {
            return load[size_t(a)] > load[size_t(b)] || (load[size_t(a)] == load[size_t(b)] && a < b);
        });
        double best = 0;
        int32_t bs = -1, bt = -1;
        double bound[5];
        auto set_bounds = [&]() {
            for (int c = 0; c < 5; ++c) bound[c] = z * std::exp(-(best + double(c - 2) * kMoveCost) * mean * inv) * (1 + 1e-12);
        };
        set_bounds();
        for (int32_t i = 0; i < top; ++i) {
            const int32_t g1 = order_[size_t(i)];
            // No swap of this GPU (nor of the idler ones after it) can beat the best one: even
            // dropping its whole term from the sum, and two slots reverting to their experts.
            const double rest = z - ex[size_t(g1)];
            if (rest > 0 && scale * std::log(z / rest) / mean + 2 * kMoveCost <= best) break;
            const int32_t lo = hier ? (g1 / gpn_) * spn_ : 0, hi = hier ? lo + spn_ : R_;
            for (int32_t s1 = g1 * spg_; s1 < (g1 + 1) * spg_; ++s1) {
                const int32_t a = x[s1];
                for (int32_t g2 = lo / spg_; g2 < hi / spg_; ++g2) {
                    // Only a lighter GPU can take load: 0 < d < 2 (load_g1 - load_g2).
                    const double gap = load[size_t(g1)] - load[size_t(g2)];
                    if (g2 == g1 || !(gap > 0)) continue;
                    for (int32_t t1 = g2 * spg_; t1 < (g2 + 1) * spg_; ++t1) {
                        const double d = r[size_t(s1)] - r[size_t(t1)];
                        if (!(d > 0) || !(gap > d * 0.5)) continue;
                        const int32_t b = x[t1];
                        const int64_t cost = changed(s1, b) - changed(s1, a) + changed(t1, a) - changed(t1, b);
                        const double f = std::exp(d * inv);
                        const double nz = z - ex[size_t(g1)] - ex[size_t(g2)] + ex[size_t(g1)] / f + ex[size_t(g2)] * f;
                        // gain > best  <=>  nz < z * exp(-(best + cost * kMoveCost) * mean / scale)
                        if (!(nz < bound[size_t(cost + 2)])) continue;
                        const double gain = scale * std::log(z / nz) / mean - kMoveCost * double(cost);
                        if (!(gain > best)) continue;
                        if (!dup_ok && (on_gpu(b, g1) || on_gpu(a, g2))) continue;
                        best = gain, bs = s1, bt = t1;
                        set_bounds();
                    }
                }
            }
        }
        if (bs < 0) break;
        const int32_t a = x[bs], b = x[bt];
        diff += changed(bs, b) - changed(bs, a) + changed(bt, a) - changed(bt, b);
        const double d = r[size_t(bs)] - r[size_t(bt)];
        load[size_t(bs / spg_)] -= d;
        load[size_t(bt / spg_)] += d;
        std::swap(x[bs], x[bt]);
        std::swap(r[size_t(bs)], r[size_t(bt)]);
    }
    return diff;
}

// Hierarchical: a new group-to-node map for start_ only where it lowers the soft maximum of the
// node loads (w_) by more than kRepairGain of a node's mean per exchange of two groups. Returns
// whether start_ changed; group_node_ follows it.
bool Incremental::remap_groups() {
    bool swapped = false;
    std::vector<int32_t> target;
    if (best_pairing(kRepairGain / 2, target)) {
        // Exchanges of two groups until every group is on its target node.
        for (int32_t guard = 0; guard < groups_; ++guard) {
            int32_t a = -1, b = -1;
            for (int32_t g = 0; g < groups_ && a < 0; ++g)
                if (group_node_[size_t(g)] != target[size_t(g)]) a = g;
            if (a < 0) break;
            const int32_t A = group_node_[size_t(a)], B = target[size_t(a)];
            for (int32_t g = 0; g < groups_; ++g)  // a group of B that leaves B, preferably for A
                if (group_node_[size_t(g)] == B && target[size_t(g)] != B && (b < 0 || target[size_t(g)] == A)) b = g;
            swapped_.resize(size_t(R_));
            if (b < 0 || !swap_groups(start_.data(), swapped_.data(), 0, a, b) || !policy_holds(swapped_.data())) {
                policy_holds(start_.data());
                break;
            }
            start_.assign(swapped_.begin(), swapped_.end());
            swapped = true;
        }
    } else {
        // Too many groups to enumerate the maps: at most one exchange, the best one.
        int32_t g1 = -1, g2 = -1;
        double gain = 0;
        if (best_group_swap(g1, g2, gain) && gain > kRepairGain) {
            swapped_.resize(size_t(R_));
            if (swap_groups(start_.data(), swapped_.data(), 0, g1, g2) && policy_holds(swapped_.data())) {
                start_.assign(swapped_.begin(), swapped_.end());
                swapped = true;
            } else {
                policy_holds(start_.data());
            }
        }
    }
    return swapped;
}

void Incremental::drift_place(const int32_t* prev, double reference_load, int32_t* out) {
    const bool hier = policy_ == Policy::hierarchical && N_ > 1;
    // 1. The placement in service stays as it is when no GPU is more than kKeepTolerance above the
    //    busiest GPU of the reference's placement for the new loads (this also keeps an all-zero layer).
    {
        const double target = reference_load * (1 + kKeepTolerance) * (1 + 1e-12);
        count_.assign(size_t(E_), 0);
        for (int32_t s = 0; s < R_; ++s) ++count_[size_t(prev[s])];
        bool keep = true;
        for (int32_t g = 0; g < G_ && keep; ++g) {
            double sum = 0;
            for (int32_t s = g * spg_; s < (g + 1) * spg_; ++s) sum += w_[prev[s]] / double(count_[size_t(prev[s])]);
            keep = !(sum > target);
        }
        std::fill(count_.begin(), count_.end(), 0);
        if (keep) {
            for (IncrementalStats* st : {&stats_, &incremental_totals()}) ++st->layers, ++st->repaired;
            std::copy(prev, prev + R_, out);
            return;
        }
    }
    // 2. Decide on the next window's expected loads: each expert's load shrunk towards the layer's
    //    geometric centre (w^kShrink, rescaled to the same total), as popularity regresses to the mean.
    const double* w_in = w_;
    shrunk_.assign(size_t(E_), 0.0);
    double s0 = 0, s1 = 0;
    for (int32_t e = 0; e < E_; ++e) s0 += w_in[e], s1 += shrunk_[size_t(e)] = w_in[e] > 0 ? std::pow(w_in[e], kShrink) : 0.0;
    if (s1 > 0)
        for (auto& v : shrunk_) v *= s0 / s1;
    w_ = shrunk_.data();

    // 3. Hierarchical: a new group-to-node map where it clearly pays.
    start_.assign(prev, prev + R_);
    const bool swapped = hier && remap_groups();
    // 4. Replica counts towards D'Hondt's where that clearly pays; 5. swaps for the soft maximum.
    repaired_.assign(start_.begin(), start_.end());
    lazy_recount(repaired_.data());
    const int64_t mv = soft_swaps(repaired_.data(), prev);
    w_ = w_in;
    for (IncrementalStats* st : {&stats_, &incremental_totals()}) {
        ++st->layers;
        if (swapped) ++st->mixed, st->mixed_moves += mv;
        else ++st->repaired, st->repaired_moves += mv;
    }
    std::copy(repaired_.begin(), repaired_.end(), out);
}

void Incremental::scenario_drift(const int32_t* prev, int32_t* out) {
    const bool hier = policy_ == Policy::hierarchical && N_ > 1;
    // The node-level and count decisions are made on the scenarios' mean (at the layer's scale).
    const double* w_in = w_;
    double total = 0;
    for (int32_t e = 0; e < E_; ++e) total += w_in[e];
    shrunk_.resize(size_t(E_));
    for (int32_t e = 0; e < E_; ++e) shrunk_[size_t(e)] = scenarios_.mean[size_t(e)] * total;
    w_ = shrunk_.data();
    start_.assign(prev, prev + R_);
    const bool swapped = hier && remap_groups();
    repaired_.assign(start_.begin(), start_.end());
    lazy_recount(repaired_.data());
    w_ = w_in;
    // Then the packer's exchanges, each paying for the slots it moves.
    count_.assign(size_t(E_), 0);
    for (int32_t s = 0; s < R_; ++s) ++count_[size_t(repaired_[size_t(s)])];
    block_.assign(size_t(E_), 0);
    if (hier)
        for (int32_t e = 0; e < E_; ++e) block_[size_t(e)] = group_node_[size_t(e / group_size_)];
    ScenarioPacker::Problem p;
    p.scenarios = &scenarios_;
    p.count = count_.data();
    p.gpus = G_, p.slots_per_gpu = spg_, p.gpus_per_block = hier ? gpn_ : G_, p.block_of = block_.data();
    p.passes = kScenarioPasses;
    p.start = repaired_.data();
    p.previous = prev;
    p.move_cost = kScenarioMoveCost * double(scenarios_.count) / (double(G_) * double(G_));
    packer_.pack(p, out);
    std::fill(count_.begin(), count_.end(), 0);
    int64_t mv = 0;
    for (int32_t s = 0; s < R_; ++s) mv += out[s] != prev[s];
    for (IncrementalStats* st : {&stats_, &incremental_totals()}) {
        ++st->layers;
        if (swapped) ++st->mixed, st->mixed_moves += mv;
        else ++st->repaired, st->repaired_moves += mv;
    }
}

void Incremental::place(const LayerInput& in, LayerOutput out) {
    const Topology& t = in.topology;
    E_ = int32_t(in.experts);
    R_ = int32_t(t.replicas);
    G_ = int32_t(t.gpus);
    policy_ = in.policy;
    const bool nodes_matter = (policy_ == Policy::hierarchical || policy_ == Policy::hybrid) && t.nodes > 1;
    N_ = nodes_matter ? int32_t(t.nodes) : 1;
    groups_ = nodes_matter ? int32_t(t.groups) : 1;
    group_size_ = E_ / groups_;
    spg_ = R_ / G_;
    spn_ = R_ / N_;
    gpn_ = G_ / N_;
    w_ = in.weight;

    // A history in the default mode: no fresh placement needed (see scenario_drift).
    const Options& opt = in.options;
    if (in.previous && opt.tolerance < 0 && opt.max_moves < 0 && policy_ != Policy::hybrid && in.window_count >= 2) {
        scenarios_.build(in);
        if (scenarios_.count >= 2 && policy_holds(in.previous)) return scenario_drift(in.previous, out.phy2log);
    }

    // The default mode without a history: see drift_place(). Its keep test compares with the
    // reference's answer for the new loads (DeepSeek's placement, a fraction of the fresh one's
    // work), so no fresh placement is made.
    if (in.previous && opt.tolerance < 0 && opt.max_moves < 0 && policy_ != Policy::hybrid && policy_holds(in.previous)) {
        LayerInput ri = in;
        ri.policy = N_ > 1 ? Policy::hierarchical : Policy::global;
        fresh_.resize(size_t(R_));
        reference_.place(ri, {fresh_.data()});
        drift_place(in.previous, maxima(fresh_.data(), 0).load, out.phy2log);
        return;
    }

    fresh_.resize(size_t(R_));
    inner_->place(in, {fresh_.data()});
    if (!in.previous) {
        std::copy(fresh_.begin(), fresh_.end(), out.phy2log);
        return;
    }
    const int32_t* prev = in.previous;
    const Options& o = in.options;
    const int64_t budget = o.max_moves >= 0 ? o.max_moves : std::numeric_limits<int64_t>::max() / 4;
    // With only a move budget, spend it on balance; otherwise keep slots within the tolerance.
    const double tol = o.tolerance >= 0 ? o.tolerance : (o.max_moves >= 0 ? 0.0 : default_tolerance);
    const double kappa = robust_kappa();
    const Maxima fm = maxima(fresh_.data(), kappa);
    Targets tg;
    tg.kappa = kappa;
    tg.load = fm.load * (1 + load_tolerance(tol));
    tg.robust = fm.robust * (1 + tol);
    tg.replica = fm.replica * (1 + rep_tolerance(tol));

    relabelled_.resize(size_t(R_));
    relabel(fresh_.data(), prev, relabelled_.data());
    int64_t moves_f = 0;
    for (int32_t s = 0; s < R_; ++s) moves_f += relabelled_[size_t(s)] != prev[s];
    const bool fresh_ok = moves_f <= budget;

    const bool can_repair = policy_holds(prev);
    const double slack = 1 + 1e-12;
    auto meets = [&](const int32_t* row) {
        const Maxima rm = maxima(row, kappa);
        return rm.load <= tg.load * slack && rm.robust <= tg.robust * slack && rm.replica <= tg.replica * slack;
    };
    bool repair_meets = false;
    int64_t moves_r = 0;
    size_t pooled = 0;  // repair results kept in pool_ for the per-node mix
    auto keep = [&](const std::vector<int32_t>& row) {
        if (pool_.size() <= pooled) pool_.emplace_back();
        pool_[pooled++].assign(row.begin(), row.end());
    };
    if (can_repair) {
        repaired_.resize(size_t(R_));
        moves_r = repair(prev, prev, repaired_.data(), tg, budget);
        repair_meets = meets(repaired_.data());
        keep(repaired_);
        // Replica counts redone (D'Hondt) on the previous placement, then repaired.
        if (!repair_meets && policy_ != Policy::hybrid) {
            swapped_.resize(size_t(R_));
            anchor(prev, swapped_.data());
            int64_t start_moves = 0;
            for (int32_t s = 0; s < R_; ++s) start_moves += swapped_[size_t(s)] != prev[s];
            if (start_moves <= budget) {
                alt_.resize(size_t(R_));
                const int64_t moves_a = repair(swapped_.data(), prev, alt_.data(), tg, budget);
                const bool alt_meets = meets(alt_.data());
                keep(alt_);
                if (alt_meets || maxima(alt_.data(), kappa).load < maxima(repaired_.data(), kappa).load) {
                    repaired_.swap(alt_);
                    moves_r = moves_a;
                    repair_meets = alt_meets;
                }
            }
        }
        // Hierarchical: when the busiest node alone keeps the target out of reach, try moving one
        // group to another node (swapping it with one of that node's groups), then repair.
        if (!repair_meets && policy_ == Policy::hierarchical && N_ > 1) {
            // If the fresh placement pairs the groups as the previous one up to one exchange of
            // two groups, make that exchange (the per-node mix below can then use either).
            int32_t pref1 = -1, pref2 = -1, differ = 0;
            if (fresh_ok) {
                std::vector<int32_t> fg(static_cast<size_t>(groups_), -1);
                for (int32_t q = 0; q < R_; ++q)
                    if (fg[size_t(relabelled_[size_t(q)] / group_size_)] < 0) fg[size_t(relabelled_[size_t(q)] / group_size_)] = q / spn_;
                for (int32_t g = 0; g < groups_; ++g)
                    if (fg[size_t(g)] != group_node_[size_t(g)]) {
                        ++differ;
                        if (pref1 < 0) pref1 = g;
                        else pref2 = g;
                    }
                if (differ != 2 || fg[size_t(pref1)] != group_node_[size_t(pref2)] || fg[size_t(pref2)] != group_node_[size_t(pref1)])
                    pref1 = pref2 = -1;
            }
            swapped_.resize(size_t(R_));
            if (swap_groups(prev, swapped_.data(), tg.load, pref1, pref2)) {
                int64_t swap_moves = 0;
                for (int32_t s = 0; s < R_; ++s) swap_moves += swapped_[size_t(s)] != prev[s];
                if (swap_moves <= budget && policy_holds(swapped_.data())) {
                    alt_.resize(size_t(R_));
                    const int64_t moves_a = repair(swapped_.data(), prev, alt_.data(), tg, budget);
                    const bool alt_meets = meets(alt_.data());
                    keep(alt_);
                    if (alt_meets || maxima(alt_.data(), kappa).load < maxima(repaired_.data(), kappa).load) {
                        repaired_.swap(alt_);
                        moves_r = moves_a;
                        repair_meets = alt_meets;
                    }
                }
                policy_holds(prev);
            }
        }
    }
    // Hierarchical: nodes are independent once their groups are fixed. Where the fresh and the
    // repaired placement put the same groups on a node and the repaired node is within the
    // targets, take that node from the repair: only the nodes that need it are placed afresh.
    bool mixed_ok = false;
    int64_t moves_m = 0;
    if (can_repair && !repair_meets && fresh_ok && policy_ == Policy::hierarchical && N_ > 1) {
        mixed_.assign(relabelled_.begin(), relabelled_.end());
        std::vector<char> gf(static_cast<size_t>(groups_), 0), gr(static_cast<size_t>(groups_), 0);
        std::vector<int32_t> cnt(size_t(E_), 0);
        for (int32_t n = 0; n < N_; ++n) {
            const int32_t lo = n * spn_, hi = lo + spn_;
            std::fill(gf.begin(), gf.end(), 0);
            for (int32_t q = lo; q < hi; ++q) gf[size_t(relabelled_[size_t(q)] / group_size_)] = 1;
            int64_t best_moves = 0;
            for (int32_t q = lo; q < hi; ++q) best_moves += relabelled_[size_t(q)] != prev[q];
            for (size_t k = 0; k < pooled; ++k) {
                const std::vector<int32_t>& row = pool_[k];
                std::fill(gr.begin(), gr.end(), 0);
                for (int32_t q = lo; q < hi; ++q) gr[size_t(row[size_t(q)] / group_size_)] = 1;
                if (gf != gr) continue;
                int64_t mr = 0;
                for (int32_t q = lo; q < hi; ++q) mr += row[size_t(q)] != prev[q];
                if (mr >= best_moves) continue;
                for (int32_t q = lo; q < hi; ++q) ++cnt[size_t(row[size_t(q)])];
                bool ok = true;
                for (int32_t g = lo / spg_; g < hi / spg_ && ok; ++g) {
                    double sum = 0, sq = 0;
                    for (int32_t q = g * spg_; q < (g + 1) * spg_; ++q) {
                        const double r = w_[row[size_t(q)]] / double(cnt[size_t(row[size_t(q)])]);
                        sum += r, sq += r * r;
                        ok = ok && r <= tg.replica * slack;
                    }
                    ok = ok && sum <= tg.load * slack && sum + kappa * std::sqrt(sq) <= tg.robust * slack;
                }
                for (int32_t q = lo; q < hi; ++q) cnt[size_t(row[size_t(q)])] = 0;
                if (ok) {
                    best_moves = mr;
                    std::copy(row.begin() + lo, row.begin() + hi, mixed_.begin() + lo);
                }
            }
        }
        for (int32_t q = 0; q < R_; ++q) moves_m += mixed_[size_t(q)] != prev[q];
        mixed_ok = moves_m < moves_f;
    }
    const int32_t* chosen = nullptr;
    if (can_repair && repair_meets && (!fresh_ok || moves_r <= moves_f)) chosen = repaired_.data();
    else if (mixed_ok) chosen = mixed_.data();
    else if (fresh_ok) chosen = relabelled_.data();
    else if (can_repair) chosen = repaired_.data();
    else
        throw InvalidInput("the previous placement breaks the " + policy_name(policy_) +
                           " policy and a new one needs " + std::to_string(moves_f) +
                           " moved slots in a layer, more than max_moves (" + std::to_string(o.max_moves) + ")");
    for (IncrementalStats* st : {&stats_, &incremental_totals()}) {
        ++st->layers;
        if (chosen == repaired_.data()) ++st->repaired, st->repaired_moves += moves_r;
        else if (chosen == mixed_.data()) ++st->mixed, st->mixed_moves += moves_m;
        else ++st->fresh, st->fresh_moves += moves_f, st->repair_failed_moves += moves_r;
    }
    std::copy(chosen, chosen + R_, out.phy2log);
}

}  // namespace eplb::detail

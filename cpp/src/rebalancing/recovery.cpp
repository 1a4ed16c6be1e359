#include "rebalancing/recovery.hpp"

#include <algorithm>
#include <numeric>


namespace eplb::detail {
namespace {

// The candidate slot whose value is least (ties: the first offered).
struct Pick {
    int32_t slot = -1;
    double value = 0;
    void offer(int32_t s, double v) {
        if (slot < 0 || v < value) slot = s, value = v;
    }
};

}  // namespace

void recover_start(const double* w, int32_t E, int32_t groups, const int32_t* previous, int32_t R, int32_t S,
                   const NodeLayout* layout, Policy policy, int32_t* out) {
    const int32_t G = R / S, group_size = E / groups;
    const bool by_node = policy != Policy::global && layout && layout->nodes() > 1;
    const int32_t N = by_node ? layout->nodes() : 1;
    std::vector<int32_t> node_of_gpu(static_cast<size_t>(G), 0);
    if (by_node)
        for (int32_t n = 0; n < N; ++n)
            std::fill(node_of_gpu.begin() + layout->first_gpu[size_t(n)], node_of_gpu.begin() + layout->first_gpu[size_t(n) + 1], n);
    auto first_slot = [&](int32_t n) { return by_node ? layout->first_slot(n) : 0; };
    auto end_slot = [&](int32_t n) { return by_node ? layout->first_slot(n) + layout->slots_of(n) : R; };
    std::copy(previous, previous + R, out);
    std::vector<int32_t> cnt(static_cast<size_t>(E), 0);
    for (int32_t s = 0; s < R; ++s)
        if (out[s] >= 0) ++cnt[size_t(out[s])];
    std::vector<double> load(static_cast<size_t>(G), 0.0);
    auto reload = [&]() {
        std::fill(load.begin(), load.end(), 0.0);
        for (int32_t s = 0; s < R; ++s)
            if (out[s] >= 0) load[size_t(s / S)] += w[out[s]] / double(cnt[size_t(out[s])]);
    };
    reload();
    // Each group's node: the one holding most of its slots (ties: the lower node); -1 for none.
    std::vector<int32_t> home(static_cast<size_t>(groups), -1);
    if (by_node) {
        std::vector<int32_t> held(size_t(groups) * size_t(N), 0);
        for (int32_t s = 0; s < R; ++s)
            if (out[s] >= 0) ++held[size_t(out[s] / group_size) * size_t(N) + size_t(node_of_gpu[size_t(s / S)])];
        for (int32_t g = 0; g < groups; ++g)
            for (int32_t n = 0; n < N; ++n)
                if (held[size_t(g) * size_t(N) + size_t(n)] > 0 &&
                    (home[size_t(g)] < 0 || held[size_t(g) * size_t(N) + size_t(n)] > held[size_t(g) * size_t(N) + size_t(home[size_t(g)])]))
                    home[size_t(g)] = n;
    }
    // 1. Experts without a live replica, heaviest first.
    std::vector<int32_t> orphans;
    for (int32_t e = 0; e < E; ++e)
        if (!cnt[size_t(e)]) orphans.push_back(e);
    std::stable_sort(orphans.begin(), orphans.end(), [w](int32_t a, int32_t b) { return w[a] > w[b]; });
    // Per donor expert: the two heaviest of its GPUs once it gives up a replica (see below).
    struct Top {
        double v1 = -1, v2 = -1;
        int32_t g1 = -1;
    };
    std::vector<Top> top(static_cast<size_t>(E));
    for (int32_t e : orphans) {
        const int32_t hn = home[size_t(e / group_size)];
        Pick pick;
        for (int32_t attempt = hn >= 0 ? 0 : 1; attempt < 2 && pick.slot < 0; ++attempt) {
            const int32_t lo = attempt == 0 ? first_slot(hn) : 0, hi = attempt == 0 ? end_slot(hn) : R;
            for (int32_t s = lo; s < hi; ++s)
                if (out[s] < 0) pick.offer(s, load[size_t(s / S)] + w[e]);
            if (pick.slot >= 0) break;
            // A donor d's other replicas each grow by w_d / (c_d - 1) - w_d / c_d: its GPUs' loads
            // after the change, the two heaviest kept per donor.
            std::fill(top.begin(), top.end(), Top{});
            for (int32_t s = 0; s < R; ++s) {
                const int32_t d = out[s];
                if (d < 0 || cnt[size_t(d)] < 2) continue;
                const double grow = w[d] / double(cnt[size_t(d)] - 1) - w[d] / double(cnt[size_t(d)]);
                const int32_t g = s / S;
                Top& t = top[size_t(d)];
                if (t.g1 == g) {  // a second replica on the same GPU
                    t.v1 += grow;
                    continue;
                }
                const double v = load[size_t(g)] + grow;
                if (v > t.v1) t.v2 = t.v1, t.v1 = v, t.g1 = g;
                else t.v2 = std::max(t.v2, v);
            }
            for (int32_t s = lo; s < hi; ++s) {
                const int32_t d = out[s];
                if (d < 0 || cnt[size_t(d)] < 2) continue;
                const double grow = w[d] / double(cnt[size_t(d)] - 1) - w[d] / double(cnt[size_t(d)]);
                const int32_t g = s / S;
                const Top& t = top[size_t(d)];
                // This GPU trades the donor's replica for the expert (other replicas of the donor
                // on it grow); the donor's other GPUs grow.
                const double here = (t.g1 == g ? t.v1 - grow : load[size_t(g)]) - w[d] / double(cnt[size_t(d)]) + w[e];
                const double others = t.g1 == g ? t.v2 : t.v1;
                pick.offer(s, std::max(here, others));
            }
        }
        // live slots >= experts, so some expert can spare a slot when no slot is free
        const int32_t s = pick.slot;
        if (out[s] >= 0) --cnt[size_t(out[s])];
        out[s] = e;
        cnt[size_t(e)] = 1;
        reload();
    }
    // 2. Free slots left (GPUs back in service): lightest GPU first, the heaviest replicas gain one.
    for (;;) {
        Pick pick;
        for (int32_t s = 0; s < R; ++s)
            if (out[s] < 0) pick.offer(s, load[size_t(s / S)]);
        if (pick.slot < 0) break;
        const int32_t s = pick.slot, gpu = s / S, node = node_of_gpu[size_t(gpu)];
        auto on_gpu = [&](int32_t e) {
            for (int32_t q = gpu * S; q < (gpu + 1) * S; ++q)
                if (out[q] == e) return true;
            return false;
        };
        int32_t best = -1;
        for (int pass = 0; pass < 3 && best < 0; ++pass)  // 0: not on the GPU; 1: any of the node's; 2: any
            for (int32_t e = 0; e < E; ++e) {
                if (pass < 2 && policy == Policy::hierarchical && by_node && home[size_t(e / group_size)] != node) continue;
                if (pass == 0 && on_gpu(e)) continue;
                if (best < 0 || w[e] / double(cnt[size_t(e)]) > w[best] / double(cnt[size_t(best)])) best = e;
            }
        out[s] = best;
        ++cnt[size_t(best)];
        reload();
    }
}

bool Recovery::holds_policy(const LayerInput& in) {
    if (in.policy != Policy::hierarchical) return true;
    const int32_t groups = int32_t(in.topology.groups), group_size = E_ / groups;
    std::vector<int32_t> region_of_group(static_cast<size_t>(groups), -1);
    for (int32_t s = 0; s < R_; ++s) {
        const int32_t g = in.previous[s] / group_size, r = region_[size_t(s / S_)];
        if (region_of_group[size_t(g)] < 0) region_of_group[size_t(g)] = r;
        else if (region_of_group[size_t(g)] != r) return false;
    }
    return true;
}

void Recovery::place(const LayerInput& in, LayerOutput out) {
    const Topology& t = in.topology;
    w_ = in.weight, E_ = int32_t(in.experts), R_ = int32_t(t.replicas), G_ = int32_t(t.gpus), S_ = R_ / G_;
    // Regions: the nodes (hierarchical, hybrid), else all GPUs.
    region_first_.assign(1, 0);
    if (in.policy != Policy::global && in.layout) {
        region_first_.assign(in.layout->first_gpu.begin() + 1, in.layout->first_gpu.end());
        region_first_.insert(region_first_.begin(), 0);
    } else if (in.policy != Policy::global) {
        for (int32_t n = 1; n <= t.nodes; ++n) region_first_.push_back(int32_t(n * (G_ / t.nodes)));
    } else {
        region_first_.push_back(G_);
    }
    region_.resize(size_t(G_));
    for (size_t r = 0; r + 1 < region_first_.size(); ++r)
        std::fill(region_.begin() + region_first_[r], region_.begin() + region_first_[r + 1], int32_t(r));
    if (!in.previous || !holds_policy(in)) {
        LayerInput fresh = in;
        fresh.previous = nullptr;
        return inner_->place(fresh, out);
    }
    mend(in, out.phy2log);
}

void Recovery::reload() {
    for (int32_t e = 0; e < E_; ++e) r_[size_t(e)] = cnt_[size_t(e)] ? w_[e] / double(cnt_[size_t(e)]) : 0.0;
    std::fill(load_.begin(), load_.end(), 0.0);
    for (int32_t s = 0; s < R_; ++s) load_[size_t(s / S_)] += r_[size_t(x_[size_t(s)])];
}

double Recovery::mend_target(const LayerInput& in, double total) {
    // The lower bound: the mean GPU load, or (hierarchical) the busiest node's mean.
    double bound = total / double(G_);
    if (in.policy == Policy::hierarchical)
        for (size_t r = 0; r + 1 < region_first_.size(); ++r) {
            double sum = 0;
            for (int32_t g = region_first_[r]; g < region_first_[r + 1]; ++g) sum += load_[size_t(g)];
            bound = std::max(bound, sum / double(region_first_[r + 1] - region_first_[r]));
        }
    const double slack = in.options.tolerance >= 0 ? in.options.tolerance : kRecoverySlack;
    double target = bound * (1 + slack);
    // Global policy: no need to do better than what placing afresh with the reference would
    // give (DeepSeek's global policy on these GPUs, the elasticity-aware answer to a failure).
    if (in.policy == Policy::global && in.options.tolerance < 0) {
        reference_row_.resize(size_t(R_));
        LayerInput ref_in = in;
        ref_in.previous = nullptr;
        reference_.place(ref_in, {reference_row_.data()});
        std::vector<int32_t> c(static_cast<size_t>(E_), 0);
        for (int32_t s = 0; s < R_; ++s) ++c[size_t(reference_row_[size_t(s)])];
        double top = 0;
        for (int32_t g = 0; g < G_; ++g) {
            double sum = 0;
            for (int32_t s = g * S_; s < (g + 1) * S_; ++s) sum += w_[reference_row_[size_t(s)]] / double(c[size_t(reference_row_[size_t(s)])]);
            top = std::max(top, sum);
        }
        target = std::max(target, top * (1 + kReferenceMargin));
    }
    return target;
}

void Recovery::mend(const LayerInput& in, int32_t* out) {
    const int32_t* prev = in.previous;
    const bool hybrid = in.policy == Policy::hybrid;
    x_.assign(prev, prev + R_);
    cnt_.assign(size_t(E_), 0);
    occ_.assign(size_t(E_) * size_t(G_), 0);
    for (int32_t s = 0; s < R_; ++s) ++cnt_[size_t(x_[size_t(s)])], ++occ_[size_t(x_[size_t(s)]) * size_t(G_) + size_t(s / S_)];
    r_.resize(size_t(E_));
    load_.assign(size_t(G_), 0.0);
    reload();
    auto occ = [&](int32_t e, int32_t g) -> int32_t& { return occ_[size_t(e) * size_t(G_) + size_t(g)]; };
    double total = 0;
    for (int32_t e = 0; e < E_; ++e) total += w_[e];
    const double target = mend_target(in, total);
    const double eps = 1e-12 * total;
    const int64_t budget = in.options.max_moves >= 0 ? in.options.max_moves : int64_t(R_) * 4;
    int64_t moved = 0;
    auto changed = [&](int32_t s, int32_t e) { return int32_t(e != prev[s]); };
    for (int64_t step = 0; step < 4 * int64_t(R_); ++step) {
        int32_t h = 0;
        for (int32_t g = 1; g < G_; ++g)
            if (load_[size_t(g)] > load_[size_t(h)]) h = g;
        const double lh = load_[size_t(h)];
        if (!(lh > target) || !(total > 0)) break;
        const int32_t rg = region_[size_t(h)], g_lo = region_first_[size_t(rg)], g_hi = region_first_[size_t(rg) + 1];
        const int32_t cap = g_hi - g_lo;  // replicas of an expert: one per GPU of the region
        // The best change: fewest moved slots among those reaching the target, else the lowest
        // busiest GPU among those it changes; kind 1 exchanges slots a and b, kind 2 gives a to y.
        int kind = 0, b_a = -1, b_b = -1, b_y = -1, b_cost = 0;
        double b_value = lh - eps;
        bool b_reach = false;
        auto offer = [&](int k, int32_t a, int32_t b, int32_t y, double value, int cost) {
            if (!(value < lh - eps)) return;
            const bool reach = value <= target;
            const bool better = !kind || (reach != b_reach ? reach
                                          : reach       ? cost < b_cost || (cost == b_cost && value < b_value)
                                                        : value < b_value);
            if (!better) return;
            kind = k, b_a = a, b_b = b, b_y = y, b_value = value, b_cost = cost, b_reach = reach;
        };
        for (int32_t a = h * S_; a < (h + 1) * S_; ++a) {
            const int32_t x = x_[size_t(a)];
            const double rx = r_[size_t(x)];
            // Exchanges with a lighter GPU of the region.
            for (int32_t g = g_lo; g < g_hi; ++g) {
                if (g == h || occ(x, g) > 0) continue;
                const double lg = load_[size_t(g)];
                for (int32_t b = g * S_; b < (g + 1) * S_; ++b) {
                    const int32_t y = x_[size_t(b)];
                    const double d = rx - r_[size_t(y)];
                    if (!(d > 0) || occ(y, h) > 0) continue;
                    const int cost = changed(a, y) + changed(b, x) - changed(a, x) - changed(b, y);
                    if (moved + cost > budget) continue;
                    offer(1, a, b, -1, std::max(lh - d, lg + d), cost);
                }
            }
            // Slot a given to another expert y: x's other replicas grow, y's shrink.
            if (cnt_[size_t(x)] < 2) continue;
            if (hybrid) {  // x keeps a replica on this node
                int32_t here = 0;
                for (int32_t g = g_lo; g < g_hi; ++g) here += occ(x, g);
                if (here < 2) continue;
            }
            const double grow = w_[x] / double(cnt_[size_t(x)] - 1) - rx;
            double others = 0;  // the busiest of x's other GPUs afterwards
            for (int32_t g = 0; g < G_; ++g)
                if (g != h && occ(x, g) > 0) others = std::max(others, load_[size_t(g)] + double(occ(x, g)) * grow);
            const double base = lh - rx + double(occ(x, h) - 1) * grow;
            // The expert that adds least here, and the slot's previous expert (a move back).
            int32_t light = -1;
            double light_up = 0;
            for (int32_t y = 0; y < E_; ++y) {
                if (y == x || occ(y, h) > 0 || cnt_[size_t(y)] >= cap) continue;
                if (in.policy == Policy::hierarchical) {  // y's group lives in this region
                    bool in_region = false;
                    for (int32_t g = g_lo; g < g_hi && !in_region; ++g) in_region = occ(y, g) > 0;
                    if (!in_region) continue;
                }
                const double up = w_[y] / double(cnt_[size_t(y)] + 1);
                if (y == prev[a]) {
                    const int cost = changed(a, y) - changed(a, x);
                    if (moved + cost <= budget) offer(2, a, -1, y, std::max(base + up, others), cost);
                }
                if (light < 0 || up < light_up) light = y, light_up = up;
            }
            if (light >= 0) {
                const int cost = changed(a, light) - changed(a, x);
                if (moved + cost <= budget) offer(2, a, -1, light, std::max(base + light_up, others), cost);
            }
        }
        if (!kind) break;
        moved += b_cost;
        if (kind == 1) {
            const int32_t x = x_[size_t(b_a)], y = x_[size_t(b_b)], g = b_b / S_;
            const double d = r_[size_t(x)] - r_[size_t(y)];
            x_[size_t(b_a)] = y, x_[size_t(b_b)] = x;
            --occ(x, h), ++occ(x, g), --occ(y, g), ++occ(y, h);
            load_[size_t(h)] -= d, load_[size_t(g)] += d;
        } else {
            const int32_t x = x_[size_t(b_a)];
            x_[size_t(b_a)] = b_y;
            --occ(x, h), ++occ(b_y, h), --cnt_[size_t(x)], ++cnt_[size_t(b_y)];
            reload();
        }
    }
    std::copy(x_.begin(), x_.end(), out);
}

}  // namespace eplb::detail

#include "rebalancing/incremental.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "scenarios/scenario_placer.hpp"

// The default mode (no tolerance, no max_moves): the placement in service kept, or drifted by a
// few clearly paying changes; with a history, the scenario packer's exchanges.
namespace eplb::detail {

bool Incremental::keeps(const int32_t* prev, double reference_load) {
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
    return keep;
}

// drift_place's steps 3 and 4 (on w_): start_ is `prev` with a new group-to-node map where it
// clearly pays (hierarchical; returns whether it changed), repaired_ that with replica counts
// towards D'Hondt's.
bool Incremental::drift_start(const int32_t* prev) {
    const bool hier = policy_ == Policy::hierarchical && N_ > 1;
    start_.assign(prev, prev + R_);
    const bool swapped = hier && remap_groups();
    repaired_.assign(start_.begin(), start_.end());
    lazy_recount(repaired_.data());
    return swapped;
}

void Incremental::drift_place(const int32_t* prev, double reference_load, int32_t* out) {
    // 1. The placement in service stays as it is when no GPU is more than kKeepTolerance above the
    //    busiest GPU of the reference's placement for the new loads (this also keeps an all-zero layer).
    if (keeps(prev, reference_load)) {
        record(Chosen::repaired, 0);
        std::copy(prev, prev + R_, out);
        return;
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

    // 3. Hierarchical: a new group-to-node map where it clearly pays; 4. replica counts towards
    //    D'Hondt's where that clearly pays; 5. swaps for the soft maximum.
    const bool swapped = drift_start(prev);
    const int64_t mv = soft_swaps(repaired_.data(), prev);
    w_ = w_in;
    record(swapped ? Chosen::mixed : Chosen::repaired, mv);
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
    const bool swapped = drift_start(prev);
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
    record(swapped ? Chosen::mixed : Chosen::repaired, mv);
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

}  // namespace eplb::detail

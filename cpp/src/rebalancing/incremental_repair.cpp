#include "rebalancing/incremental_repair.hpp"

#include <algorithm>
#include <cmath>

namespace eplb::detail {

void RepairSearch::start_state(const int32_t* start) {
    const int32_t E = l_.E, R = l_.R;
    x_.assign(start, start + R);
    cnt_.assign(size_t(E), 0);
    head_.assign(size_t(E), -1);
    next_.assign(size_t(R), -1);
    for (int32_t s = R - 1; s >= 0; --s) {
        const int32_t e = x_[size_t(s)];
        ++cnt_[size_t(e)];
        next_[size_t(s)] = head_[size_t(e)];
        head_[size_t(e)] = s;
    }
    home_cnt_.assign(size_t(E), 0);
    if (hybrid_)
        for (int32_t s = 0; s < R; ++s)
            if (s / l_.spn == home_of(x_[size_t(s)])) ++home_cnt_[size_t(x_[size_t(s)])];
}

int64_t RepairSearch::moved() const {
    int64_t d = 0;
    for (int32_t s = 0; s < l_.R; ++s) d += x_[size_t(s)] != prev_[s];
    return d;
}

// A GPU's pressure: its load and its robust load (load + kappa * sqrt(sum of squared replica
// loads), the load it reaches when its experts' loads drift), each against its target.
double RepairSearch::pressure(double l, double q) const {
    return std::max(l * inv_t_, (l + kappa_ * std::sqrt(std::max(q, 0.0))) * inv_s_);
}

void RepairSearch::recompute(int32_t g) {
    double sum = 0, sq = 0;
    for (int32_t s = g * l_.spg; s < (g + 1) * l_.spg; ++s) {
        const double r = l_.w[x_[size_t(s)]] / double(cnt_[size_t(x_[size_t(s)])]);
        sum += r;
        sq += r * r;
    }
    load_[size_t(g)] = sum;
    sq_[size_t(g)] = sq;
}

void RepairSearch::touch(int32_t g, double d, double dq) {
    if (!is_touched_[size_t(g)]) is_touched_[size_t(g)] = 1, touched_.push_back(g);
    delta_[size_t(g)] += d;
    dsq_[size_t(g)] += dq;
}

// The largest new pressure over the touched GPUs; clears them.
double RepairSearch::settle() {
    double m = 0;
    for (int32_t g : touched_) {
        m = std::max(m, pressure(load_[size_t(g)] + delta_[size_t(g)], sq_[size_t(g)] + dsq_[size_t(g)]));
        delta_[size_t(g)] = 0;
        dsq_[size_t(g)] = 0;
        is_touched_[size_t(g)] = 0;
    }
    touched_.clear();
    return m;
}

bool RepairSearch::on_gpu(int32_t e, int32_t g) const {
    for (int32_t s = g * l_.spg; s < (g + 1) * l_.spg; ++s)
        if (x_[size_t(s)] == e) return true;
    return false;
}

// Slot s takes expert b: the largest new GPU load among the GPUs it changes (and `gstar`).
double RepairSearch::eval_reassign(int32_t s, int32_t b, int32_t gstar) {
    const double* w = l_.w;
    const int32_t spg = l_.spg, a = x_[size_t(s)];
    const double ra = w[a] / double(cnt_[size_t(a)]), ra2 = w[a] / double(cnt_[size_t(a)] - 1);
    const double rb = w[b] / double(cnt_[size_t(b)]), rb2 = w[b] / double(cnt_[size_t(b)] + 1);
    touch(gstar, 0, 0);
    for (int32_t t = head_[size_t(a)]; t >= 0; t = next_[size_t(t)])
        touch(t / spg, t == s ? -ra : ra2 - ra, t == s ? -ra * ra : ra2 * ra2 - ra * ra);
    for (int32_t t = head_[size_t(b)]; t >= 0; t = next_[size_t(t)]) touch(t / spg, rb2 - rb, rb2 * rb2 - rb * rb);
    touch(s / spg, rb2, rb2 * rb2);
    return settle();
}

void RepairSearch::unlink(int32_t s, int32_t e) {
    int32_t* p = &head_[size_t(e)];
    while (*p != s) p = &next_[size_t(*p)];
    *p = next_[size_t(s)];
}

// Keeps each list ascending.
void RepairSearch::link(int32_t s, int32_t e) {
    int32_t* p = &head_[size_t(e)];
    while (*p >= 0 && *p < s) p = &next_[size_t(*p)];
    next_[size_t(s)] = *p;
    *p = s;
}

// Hybrid: may expert e leave a slot on node n (to another node or to nothing)?
bool RepairSearch::may_leave(int32_t e, int32_t n) const {
    return !hybrid_ || n != home_of(e) || home_cnt_[size_t(e)] >= 2;
}

void RepairSearch::do_swap(int32_t s, int32_t t) {
    const int32_t spn = l_.spn, a = x_[size_t(s)], b = x_[size_t(t)];
    diff_ += changed(s, b) - changed(s, a) + changed(t, a) - changed(t, b);
    if (hybrid_ && s / spn != t / spn) {
        if (s / spn == home_of(a)) --home_cnt_[size_t(a)];
        if (t / spn == home_of(a)) ++home_cnt_[size_t(a)];
        if (t / spn == home_of(b)) --home_cnt_[size_t(b)];
        if (s / spn == home_of(b)) ++home_cnt_[size_t(b)];
    }
    unlink(s, a);
    unlink(t, b);
    x_[size_t(s)] = b;
    x_[size_t(t)] = a;
    link(s, b);
    link(t, a);
    recompute(s / l_.spg);
    recompute(t / l_.spg);
}

bool RepairSearch::consider(double newmax_gpu, double newmax_rep, int64_t cost, int k, int32_t s, int32_t t) {
    const double nphi = std::max(newmax_gpu, newmax_rep * inv_r_);
    if (!(nphi < st_.phi - st_.min_gain) || diff_ + cost > budget_) return false;
    const double ratio = (st_.phi - std::max(nphi, 1.0)) / (double(std::max<int64_t>(cost, 0)) + 0.25);
    if (!(ratio > st_.best)) return false;
    st_.best = ratio, st_.kind = k, st_.bs = s, st_.bt = t;
    return true;
}

// New replica loads when slot s changes from its expert to b.
double RepairSearch::rep_after(int32_t s, int32_t b) const {
    const int32_t a = x_[size_t(s)];
    return std::max(l_.w[a] / double(cnt_[size_t(a)] - 1), l_.w[b] / double(cnt_[size_t(b)] + 1));
}

// Potential: the largest GPU pressure or replica load / replica target; a step must lower the
// bottleneck without raising anything it touches to the bottleneck's level.
bool RepairSearch::find_bottleneck() {
    const double* w = l_.w;
    Step st;
    double phi_gpu = pressure(load_[0], sq_[0]);
    for (int32_t g = 1; g < l_.G; ++g) {
        const double p = pressure(load_[size_t(g)], sq_[size_t(g)]);
        if (p > phi_gpu) phi_gpu = p, st.gs = g;
    }
    for (int32_t e = 1; e < l_.E; ++e)
        if (w[e] / double(cnt_[size_t(e)]) > w[st.ea] / double(cnt_[size_t(st.ea)])) st.ea = e;
    const double phi_rep = w[st.ea] / double(cnt_[size_t(st.ea)]) * inv_r_;
    st.phi = std::max(phi_gpu, phi_rep);
    if (st.phi <= 1) return false;
    st.min_gain = st.phi * 1e-9;
    st.gpu_phase = phi_gpu >= phi_rep;
    // Hierarchical: the region is the bottleneck's node; otherwise every slot and expert.
    st.node = !hier_ ? 0 : st.gpu_phase ? st.gs / l_.gpn : home_of(st.ea);
    st.slot_lo = hier_ ? st.node * l_.spn : 0;
    st.slot_hi = hier_ ? (st.node + 1) * l_.spn : l_.R;
    st_ = st;
    return true;
}

// The heaviest replica: a slot of the region takes one more replica of its expert.
void RepairSearch::replica_moves() {
    const double* w = l_.w;
    const int32_t ea = st_.ea, gs = st_.gs;
    for (int32_t t = st_.slot_lo; t < st_.slot_hi; ++t) {
        const int32_t gt = t / l_.spg;
        const int32_t c = x_[size_t(t)];
        if (c == ea || cnt_[size_t(c)] < 2 || !may_leave(c, t / l_.spn)) continue;
        if (w[c] / double(cnt_[size_t(c)] - 1) * inv_r_ >= st_.phi) continue;
        if ((load_[size_t(gt)] + w[ea] / double(cnt_[size_t(ea)] + 1) - w[c] / double(cnt_[size_t(c)])) * inv_t_ >= st_.phi)
            continue;
        const int64_t cost = changed(t, ea) - changed(t, c);
        if (diff_ + cost > budget_) continue;
        if (!dup_ok_ && on_gpu(ea, gt)) continue;
        consider(eval_reassign(t, ea, gs), rep_after(t, ea), cost, 1, t, ea);
    }
}

void RepairSearch::gpu_moves() {
    const double* w = l_.w;
    const int32_t gs = st_.gs, spg = l_.spg, spn = l_.spn;
    region_experts_.clear();
    for (int32_t e = 0; e < l_.E; ++e)
        if (!hier_ || home_of(e) == st_.node) region_experts_.push_back(e);
    for (int32_t s = gs * spg; s < (gs + 1) * spg; ++s) {
        const int32_t a = x_[size_t(s)];
        const double ra = w[a] / double(cnt_[size_t(a)]);
        // 1. This slot takes another expert of the region.
        if (cnt_[size_t(a)] >= 2 && may_leave(a, s / spn) && w[a] / double(cnt_[size_t(a)] - 1) * inv_r_ < st_.phi) {
            for (int32_t b : region_experts_) {
                if (b == a || w[b] / double(cnt_[size_t(b)] + 1) >= ra) continue;
                if (!dup_ok_ && on_gpu(b, gs)) continue;
                const int64_t cost = changed(s, b) - changed(s, a);
                if (diff_ + cost > budget_) continue;
                consider(eval_reassign(s, b, gs), rep_after(s, b), cost, 1, s, b);
            }
        }
        // 2. Swap with a lighter replica elsewhere in the region.
        for (int32_t t = st_.slot_lo; t < st_.slot_hi; ++t) {
            const int32_t gt = t / spg;
            if (gt == gs) continue;
            const int32_t b = x_[size_t(t)];
            if (b == a) continue;
            const double rb = w[b] / double(cnt_[size_t(b)]);
            if (rb >= ra) continue;
            const int64_t cost = changed(s, b) - changed(s, a) + changed(t, a) - changed(t, b);
            if (diff_ + cost > budget_) continue;
            if (hybrid_ && s / spn != t / spn && (!may_leave(a, s / spn) || !may_leave(b, t / spn))) continue;
            if (!dup_ok_ && (on_gpu(b, gs) || on_gpu(a, gt))) continue;
            const double dq = rb * rb - ra * ra;
            consider(std::max(pressure(load_[size_t(gs)] - ra + rb, sq_[size_t(gs)] + dq),
                              pressure(load_[size_t(gt)] + ra - rb, sq_[size_t(gt)] - dq)),
                     0, cost, 2, s, t);
        }
    }
    // 3. A slot elsewhere in the region takes an expert of the busiest GPU (one more replica).
    for (int32_t s = gs * spg; s < (gs + 1) * spg; ++s) {
        const int32_t a = x_[size_t(s)];
        bool seen = false;
        for (int32_t q = gs * spg; q < s; ++q) seen = seen || x_[size_t(q)] == a;
        if (seen || w[a] <= 0) continue;
        for (int32_t t = st_.slot_lo; t < st_.slot_hi; ++t) {
            const int32_t gt = t / spg;
            const int32_t c = x_[size_t(t)];
            if (gt == gs || c == a || cnt_[size_t(c)] < 2 || !may_leave(c, t / spn)) continue;
            if (w[c] / double(cnt_[size_t(c)] - 1) * inv_r_ >= st_.phi) continue;
            // gt gains a replica of a and loses one of c (its other GPUs only gain more).
            if ((load_[size_t(gt)] + w[a] / double(cnt_[size_t(a)] + 1) - w[c] / double(cnt_[size_t(c)])) * inv_t_ >= st_.phi)
                continue;
            const int64_t cost = changed(t, a) - changed(t, c);
            if (diff_ + cost > budget_) continue;
            if (!dup_ok_ && on_gpu(a, gt)) continue;
            consider(eval_reassign(t, a, gs), rep_after(t, a), cost, 1, t, a);
        }
    }
}

// 4. Nothing single helps: exchange two slots of the busiest GPU with two of another GPU of the
//    region (finer load differences than one swap).
void RepairSearch::double_exchanges() {
    const double* w = l_.w;
    const int32_t gs = st_.gs, spg = l_.spg, gpn = l_.gpn;
    for (int32_t gt = st_.slot_lo / spg; gt < st_.slot_hi / spg; ++gt) {
        if (gt == gs) continue;
        for (int32_t s1 = gs * spg; s1 < (gs + 1) * spg; ++s1)
            for (int32_t s2 = s1 + 1; s2 < (gs + 1) * spg; ++s2) {
                const int32_t a1 = x_[size_t(s1)], a2 = x_[size_t(s2)];
                const double ra1 = w[a1] / double(cnt_[size_t(a1)]), ra2 = w[a2] / double(cnt_[size_t(a2)]);
                for (int32_t t1 = gt * spg; t1 < (gt + 1) * spg; ++t1)
                    for (int32_t t2 = t1 + 1; t2 < (gt + 1) * spg; ++t2) {
                        const int32_t b1 = x_[size_t(t1)], b2 = x_[size_t(t2)];
                        const double rb1 = w[b1] / double(cnt_[size_t(b1)]), rb2 = w[b2] / double(cnt_[size_t(b2)]);
                        const double d = ra1 + ra2 - rb1 - rb2;
                        if (!(d > 0)) continue;
                        if (hybrid_ && gs / gpn != gt / gpn) continue;
                        if (!dup_ok_ && (b1 == b2 || a1 == a2 || on_gpu(b1, gs) || on_gpu(b2, gs) || on_gpu(a1, gt) ||
                                         on_gpu(a2, gt)))
                            continue;
                        const int64_t cost = changed(s1, b1) - changed(s1, a1) + changed(t1, a1) - changed(t1, b1) +
                                             changed(s2, b2) - changed(s2, a2) + changed(t2, a2) - changed(t2, b2);
                        if (diff_ + cost > budget_) continue;
                        const double dq = rb1 * rb1 + rb2 * rb2 - ra1 * ra1 - ra2 * ra2;
                        const double nphi = std::max(pressure(load_[size_t(gs)] - d, sq_[size_t(gs)] + dq),
                                                     pressure(load_[size_t(gt)] + d, sq_[size_t(gt)] - dq));
                        if (consider(nphi, 0, cost, 3, s1, t1)) st_.bs2 = s2, st_.bt2 = t2;
                    }
            }
    }
}

// 5. Still stuck: even out the pair of GPUs of the region where one swap lowers the sum of squared
//    loads most (never raising a GPU to the bottleneck's level); this changes what the busiest GPU
//    can swap with. Returns whether it swapped.
bool RepairSearch::unlock_swap() {
    const double* w = l_.w;
    const int32_t spg = l_.spg, gpn = l_.gpn;
    double best_gain = 0;
    int32_t bs = -1, bt = -1;
    // The 16 busiest against the 16 idlest GPUs of the region (all of them in small regions).
    order_.clear();
    for (int32_t g = st_.slot_lo / spg; g < st_.slot_hi / spg; ++g) order_.push_back(g);
    std::stable_sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) { return load_[size_t(a)] > load_[size_t(b)]; });
    const size_t k = std::min<size_t>(16, order_.size());
    for (size_t i1 = 0; i1 < k; ++i1)
        for (size_t i2 = order_.size() - k; i2 < order_.size(); ++i2) {
            const int32_t g1 = order_[i1], g2 = order_[i2];
            if (g1 == g2 || load_[size_t(g1)] <= load_[size_t(g2)]) continue;
            const double gap = load_[size_t(g1)] - load_[size_t(g2)];
            for (int32_t s1 = g1 * spg; s1 < (g1 + 1) * spg; ++s1) {
                const int32_t a = x_[size_t(s1)];
                const double ra = w[a] / double(cnt_[size_t(a)]);
                for (int32_t t1 = g2 * spg; t1 < (g2 + 1) * spg; ++t1) {
                    const int32_t b = x_[size_t(t1)];
                    const double d = ra - w[b] / double(cnt_[size_t(b)]);
                    if (!(d > 0) || !(d < gap)) continue;
                    const int64_t cost = changed(s1, b) - changed(s1, a) + changed(t1, a) - changed(t1, b);
                    if (diff_ + cost > budget_) continue;
                    if (hybrid_ && g1 / gpn != g2 / gpn) continue;
                    if (!dup_ok_ && (on_gpu(b, g1) || on_gpu(a, g2))) continue;
                    const double rb = ra - d, dq = rb * rb - ra * ra;
                    if (pressure(load_[size_t(g2)] + d, sq_[size_t(g2)] - dq) >= st_.phi - st_.min_gain) continue;
                    const double gain = 2 * d * (gap - d) / (double(std::max<int64_t>(cost, 0)) + 0.25);
                    if (gain > best_gain * (1 + 1e-12)) best_gain = gain, bs = s1, bt = t1;
                }
            }
        }
    if (!(best_gain > 0)) return false;
    do_swap(bs, bt);
    return true;
}

void RepairSearch::apply_move() {
    if (st_.kind == 1) {  // slot bs takes expert bt
        const int32_t s = st_.bs, b = st_.bt, a = x_[size_t(s)], spg = l_.spg;
        diff_ += changed(s, b) - changed(s, a);
        if (hybrid_) {
            if (s / l_.spn == home_of(a)) --home_cnt_[size_t(a)];
            if (s / l_.spn == home_of(b)) ++home_cnt_[size_t(b)];
        }
        unlink(s, a);
        --cnt_[size_t(a)];
        x_[size_t(s)] = b;
        link(s, b);
        ++cnt_[size_t(b)];
        touched_.clear();
        for (int32_t t = head_[size_t(a)]; t >= 0; t = next_[size_t(t)]) touch(t / spg, 0, 0);
        for (int32_t t = head_[size_t(b)]; t >= 0; t = next_[size_t(t)]) touch(t / spg, 0, 0);
        for (int32_t g : touched_) recompute(g);
        settle();
    } else if (st_.kind == 2) {  // swap slots bs and bt
        do_swap(st_.bs, st_.bt);
    } else {  // exchange slots bs, bs2 with bt, bt2
        do_swap(st_.bs, st_.bt);
        do_swap(st_.bs2, st_.bt2);
    }
}

int64_t RepairSearch::run(const RepairLayer& layer, const int32_t* start, const int32_t* prev, int32_t* out,
                          const RepairTargets& tg, int64_t budget) {
    l_ = layer;
    prev_ = prev;
    budget_ = budget;
    hybrid_ = l_.policy == Policy::hybrid && l_.N > 1;
    hier_ = l_.policy == Policy::hierarchical && l_.N > 1;
    // Two replicas of one expert on one GPU are avoided whenever the GPU's region has enough experts.
    dup_ok_ = l_.spg > (hier_ ? l_.E / l_.N : l_.E);
    start_state(start);
    if (!(tg.load > 0) || !(tg.robust > 0) || !(tg.replica > 0)) {  // an all-zero layer
        std::copy(x_.begin(), x_.end(), out);
        return moved();
    }
    inv_t_ = 1.0 / tg.load, inv_s_ = 1.0 / tg.robust, inv_r_ = 1.0 / tg.replica, kappa_ = tg.kappa;
    load_.assign(size_t(l_.G), 0);
    sq_.assign(size_t(l_.G), 0);
    for (int32_t g = 0; g < l_.G; ++g) recompute(g);
    delta_.assign(size_t(l_.G), 0);
    dsq_.assign(size_t(l_.G), 0);
    is_touched_.assign(size_t(l_.G), 0);
    touched_.clear();
    diff_ = moved();
    const int64_t max_steps = 4 * int64_t(l_.R) + 64;
    int64_t unlocks = 0;
    const int64_t max_unlocks = std::max<int64_t>(8, l_.R / 16);
    for (int64_t step = 0; step < max_steps; ++step) {
        if (!find_bottleneck()) break;
        if (!st_.gpu_phase) replica_moves();
        else gpu_moves();
        if (st_.kind == 0 && st_.gpu_phase) double_exchanges();
        if (st_.kind == 0 && unlocks < max_unlocks && unlock_swap()) {
            ++unlocks;
            continue;
        }
        if (st_.kind == 0) break;
        apply_move();
    }
    std::copy(x_.begin(), x_.end(), out);
    return diff_;
}

}  // namespace eplb::detail

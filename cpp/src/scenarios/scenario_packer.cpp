#include "scenarios/scenario_packer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace eplb::detail {
namespace {

// Two doubles at a time (SSE2 natively, SIMD128 in WebAssembly: GCC and Clang vector
// extensions), over rows padded to a multiple of 4 with zeros: both builds add in one order.
typedef double Lanes __attribute__((vector_size(16)));

inline Lanes lanes(const double* p) {
    Lanes v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline double dot(const double* a, const double* b, int32_t n) {
    Lanes s0 = {0, 0}, s1 = {0, 0};
    for (int32_t k = 0; k < n; k += 4) {
        s0 += lanes(a + k) * lanes(b + k);
        s1 += lanes(a + k + 2) * lanes(b + k + 2);
    }
    const Lanes s = s0 + s1;
    return s[0] + s[1];
}

}  // namespace

void ScenarioPacker::place(int32_t e, int32_t g) {
    slot_[size_t(g) * size_t(S_) + size_t(fill_[size_t(g)]++)] = e;
    ++occupancy(e, g);
    double* l = load(g);
    const double* r = rv(e);
    for (int32_t k = 0; k < Kp_; ++k) l[k] += r[k];
    if (!home_) return;
    if (node(g) == home_[e]) ++at_home_[size_t(e)];
    else away_ += rmean_[size_t(e)];
}

// The GPU with room for a replica of e where it adds least to the sum of squares; an anchor (the
// hybrid policy's first replica) only on e's home node, another replica away from home only
// within the budget. Failing that, the one-replica-per-GPU rule gives way (separate_duplicates
// mends it), then the budget (a node without room for its experts' replicas).
int32_t ScenarioPacker::lightest_for(int32_t e, bool anchor) {
    int32_t first = 0, last = G_;
    if (anchor) first = node_first_[size_t(home_[e])], last = node_first_[size_t(home_[e]) + 1];
    else if (!home_) first = gpb_ * block_of_[e], last = first + gpb_;
    const double* r = rv(e);
    for (int relax = 0; relax < 3; ++relax) {
        int32_t best = -1;
        double best_score = 0;
        for (int32_t g = first; g < last; ++g) {
            if (fill_[size_t(g)] == S_) continue;
            if (relax < 1 && occupancy(e, g) >= limit_[size_t(e)]) continue;
            if (relax < 2 && home_ && !anchor && node(g) != home_[e] && away_ + rmean_[size_t(e)] > away_budget_)
                continue;
            const double score = dot(load(g), r, Kp_);
            if (best < 0 || score < best_score) best = g, best_score = score;
        }
        if (best >= 0) return best;
    }
    return -1;  // unreachable: the block has a free slot for every replica
}

void ScenarioPacker::greedy(const Problem& p) {
    // Heaviest replicas first; on the hybrid policy every expert's anchor before any other replica.
    order_.clear();
    for (int32_t e = 0; e < E_; ++e)
        for (int32_t c = 0; c < p.count[e]; ++c) {
            const bool anchor = home_ && c == 0;
            order_.push_back({(anchor ? 2.0 : 1.0) + rmean_[size_t(e)], e});  // rmean <= 1
        }
    std::stable_sort(order_.begin(), order_.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<char> anchored(home_ ? size_t(E_) : 0, 0);
    for (const auto& [key, e] : order_) {
        const bool anchor = home_ && !anchored[size_t(e)];
        if (anchor) anchored[size_t(e)] = 1;
        place(e, lightest_for(e, anchor));
    }
}

// Change of the sum of squares (halved) when slots sa and sb exchange their replicas.
double ScenarioPacker::swap_delta(int32_t sa, int32_t sb) {
    const double *rx = rv(slot_[size_t(sa)]), *ry = rv(slot_[size_t(sb)]);
    const double *la = load(sa / S_), *lb = load(sb / S_);
    double delta = 0;
    for (int32_t k = 0; k < K_; ++k) {
        const double d = rx[k] - ry[k];
        delta += d * (d - (la[k] - lb[k]));
    }
    return delta;
}

// The greedy start can be left with two replicas of an expert on a GPU when the expert's replicas
// came late and only that GPU had room: each such replica is exchanged with the replica of
// another GPU of its block that raises the sum of squares least.
void ScenarioPacker::separate_duplicates() {
    for (int32_t sa = 0; sa < G_ * S_; ++sa) {
        const int32_t a = sa / S_, x = slot_[size_t(sa)];
        if (occupancy(x, a) <= limit_[size_t(x)]) continue;
        const int32_t first = a / gpb_ * gpb_;
        int32_t best = -1;
        double best_delta = 0, best_away = 0, away;
        for (int32_t sb = first * S_; sb < (first + gpb_) * S_; ++sb) {
            if (sb / S_ == a || slot_[size_t(sb)] == x || !swap_allowed(sa, sb, away)) continue;
            const double delta = swap_delta(sa, sb);
            if (best < 0 || delta < best_delta) best = sb, best_delta = delta, best_away = away;
        }
        if (best >= 0) apply_swap(sa, best, best_away);
    }
}

bool ScenarioPacker::swap_allowed(int32_t sa, int32_t sb, double& away) const {
    const int32_t a = sa / S_, b = sb / S_, x = slot_[size_t(sa)], y = slot_[size_t(sb)];
    if (occ_[size_t(x) * size_t(G_) + size_t(b)] >= limit_[size_t(x)] ||
        occ_[size_t(y) * size_t(G_) + size_t(a)] >= limit_[size_t(y)])
        return false;
    away = away_;
    if (!home_ || node(a) == node(b)) return true;
    const int32_t na = node(a), nb = node(b);
    if (home_[x] == na) {
        if (at_home_[size_t(x)] < 2) return false;
        away += rmean_[size_t(x)];
    } else if (home_[x] == nb) {
        away -= rmean_[size_t(x)];
    }
    if (home_[y] == nb) {
        if (at_home_[size_t(y)] < 2) return false;
        away += rmean_[size_t(y)];
    } else if (home_[y] == na) {
        away -= rmean_[size_t(y)];
    }
    return away <= away_budget_ || away <= away_;
}

void ScenarioPacker::apply_swap(int32_t sa, int32_t sb, double away) {
    const int32_t a = sa / S_, b = sb / S_, x = slot_[size_t(sa)], y = slot_[size_t(sb)];
    --occupancy(x, a), ++occupancy(x, b), --occupancy(y, b), ++occupancy(y, a);
    double *la = load(a), *lb = load(b);
    const double *rx = rv(x), *ry = rv(y);
    for (int32_t k = 0; k < Kp_; ++k) {
        const double d = rx[k] - ry[k];
        la[k] -= d, lb[k] += d;
    }
    if (home_ && node(a) != node(b)) {
        at_home_[size_t(x)] += (home_[x] == node(b)) - (home_[x] == node(a));
        at_home_[size_t(y)] += (home_[y] == node(a)) - (home_[y] == node(b));
        away_ = away;
    }
    slot_[size_t(sa)] = y, slot_[size_t(sb)] = x;
    ++version_[size_t(a)], ++version_[size_t(b)];
}

// The exchange of a replica x of GPU a with a replica y of GPU b that lowers the sum of squares
// most: moving d = r_x - r_y from a to b changes it by 2 d.(d - D), D = L_a - L_b, which is
// 2 ((|r_x|^2 - r_x.D) + (|r_y|^2 + r_y.D) - 2 r_x.r_y): two terms per replica, one per pair.
bool ScenarioPacker::improve_pair(int32_t a, int32_t b) {
    const uint64_t stamp = (uint64_t(version_[size_t(a)]) << 32) | version_[size_t(b)];
    uint64_t& settled = settled_[size_t(a) * size_t(G_) + size_t(b)];
    if (settled == stamp) return false;
    double* diff = load_.data() + size_t(G_) * size_t(Kp_);  // scratch row past the GPUs
    const double *la = load(a), *lb = load(b);
    for (int32_t k = 0; k < Kp_; ++k) diff[k] = la[k] - lb[k];
    const int32_t* xs = slot_.data() + size_t(a) * size_t(S_);
    const int32_t* ys = slot_.data() + size_t(b) * size_t(S_);
    for (int32_t i = 0; i < S_; ++i) {
        const double xd = dot(rv(xs[i]), diff, Kp_), yd = dot(rv(ys[i]), diff, Kp_);
        term_a_[size_t(i)] = square_[size_t(xs[i])] - xd;
        term_b_[size_t(i)] = square_[size_t(ys[i])] + yd;
        along_a_[size_t(i)] = xd, along_b_[size_t(i)] = yd;
    }
    // Below this, a gain is rounding noise (loads are shares of a layer total of 1).
    double best = -1e-12 * double(K_) / (double(G_) * double(G_));
    int32_t best_a = -1, best_b = -1;
    double best_away = 0;
    const int32_t *pa = previous_ ? previous_ + size_t(a) * size_t(S_) : nullptr;
    const int32_t *pb = previous_ ? previous_ + size_t(b) * size_t(S_) : nullptr;
    for (int32_t i = 0; i < S_; ++i) {
        const double* rx = rv(xs[i]);
        for (int32_t j = 0; j < S_; ++j) {
            if (ys[j] == xs[i]) continue;
            // Slots that come to differ from the previous placement, less those that come back.
            const double moves = pa ? double((ys[j] != pa[i]) + (xs[i] != pb[j]) - (xs[i] != pa[i]) - (ys[j] != pb[j])) : 0.0;
            // r_x.r_y <= |r_x| |r_y|, so the change is at least (|r_x| - |r_y|)^2 - (r_x - r_y).D:
            // no dot product for the exchanges that cannot beat the best.
            const double gap = norm_[size_t(xs[i])] - norm_[size_t(ys[j])];
            const double charge = move_cost_ * moves;
            if (gap * gap - along_a_[size_t(i)] + along_b_[size_t(j)] + charge >= best) continue;
            const double delta = term_a_[size_t(i)] + term_b_[size_t(j)] - 2 * dot(rx, rv(ys[j]), Kp_) + charge;
            double away;
            if (delta < best && swap_allowed(a * S_ + i, b * S_ + j, away))
                best = delta, best_a = a * S_ + i, best_b = b * S_ + j, best_away = away;
        }
    }
    if (best_a < 0) {
        settled = stamp;
        return false;
    }
    apply_swap(best_a, best_b, best_away);
    return true;
}

void ScenarioPacker::pack(const Problem& p, int32_t* phy2log) {
    sc_ = p.scenarios;
    K_ = sc_->count, E_ = sc_->experts, G_ = p.gpus, S_ = p.slots_per_gpu;
    gpb_ = p.gpus_per_block, gpn_ = p.home ? p.gpus_per_node : G_;
    home_ = p.home;
    block_of_ = p.block_of;
    node_first_.clear();
    if (p.node_first_gpu) {
        for (int32_t n = 0; node_first_.empty() || node_first_.back() < G_; ++n) node_first_.push_back(p.node_first_gpu[n]);
    } else {
        for (int32_t g = 0; g <= G_; g += gpn_) node_first_.push_back(g);
    }
    node_of_gpu_.resize(size_t(G_));
    for (size_t n = 0; n + 1 < node_first_.size(); ++n)
        std::fill(node_of_gpu_.begin() + node_first_[n], node_of_gpu_.begin() + node_first_[n + 1], int32_t(n));
    away_ = 0, away_budget_ = p.away_budget;
    Kp_ = (K_ + 3) / 4 * 4;
    rv_.assign(size_t(E_) * size_t(Kp_), 0.0);
    rmean_.resize(size_t(E_));
    square_.resize(size_t(E_));
    norm_.resize(size_t(E_));
    limit_.resize(size_t(E_));
    for (int32_t e = 0; e < E_; ++e) {
        const double* w = sc_->of(e);
        const double c = double(p.count[e]);
        double* r = rv_.data() + size_t(e) * size_t(Kp_);
        for (int32_t k = 0; k < K_; ++k) r[k] = w[k] / c;
        square_[size_t(e)] = dot(r, r, Kp_);
        norm_[size_t(e)] = std::sqrt(square_[size_t(e)]);
        rmean_[size_t(e)] = sc_->mean[size_t(e)] / c;
        limit_[size_t(e)] = (p.count[e] + gpb_ - 1) / gpb_;
    }
    for (auto* v : {&term_a_, &term_b_, &along_a_, &along_b_}) v->resize(size_t(S_));
    load_.assign(size_t(G_ + 1) * size_t(Kp_), 0.0);
    slot_.assign(size_t(G_) * size_t(S_), -1);
    fill_.assign(size_t(G_), 0);
    occ_.assign(size_t(E_) * size_t(G_), 0);
    at_home_.assign(home_ ? size_t(E_) : 0, 0);
    version_.assign(size_t(G_), 0);
    settled_.assign(size_t(G_) * size_t(G_), std::numeric_limits<uint64_t>::max());
    previous_ = p.previous, move_cost_ = p.previous ? p.move_cost : 0;
    if (p.start) {
        for (int32_t s = 0; s < G_ * S_; ++s) place(p.start[s], s / S_);  // slot s stays slot s
    } else {
        greedy(p);
        separate_duplicates();
    }

    // In a block of more than kPairedGpus GPUs, each GPU pairs with the kPairedGpus / 2 after it
    // (cyclically): a pass stays linear in the GPUs, and every GPU still meets kPairedGpus others.
    const int32_t reach = gpb_ > kPairedGpus ? kPairedGpus / 2 : 0;
    for (int32_t pass = 0; pass < p.passes; ++pass) {
        bool changed = false;
        for (int32_t a = 0; a < G_; ++a) {
            if (!reach) {
                for (int32_t b = a + 1; b < G_ && b / gpb_ == a / gpb_; ++b) changed |= improve_pair(a, b);
                continue;
            }
            const int32_t first = a / gpb_ * gpb_;
            for (int32_t k = 1; k <= reach; ++k) {
                const int32_t b = first + (a - first + k) % gpb_;
                changed |= improve_pair(std::min(a, b), std::max(a, b));
            }
        }
        if (!changed) break;
    }
    std::copy(slot_.begin(), slot_.end(), phy2log);
}

double ScenarioPacker::mean_heaviest() const {
    double sum = 0;
    for (int32_t k = 0; k < K_; ++k) {
        double top = 0;
        for (int32_t g = 0; g < G_; ++g) top = std::max(top, load_[size_t(g) * size_t(Kp_) + size_t(k)]);
        sum += top;
    }
    return sum;
}

}  // namespace eplb::detail

#include "rebalancing/incremental.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "eplb/error.hpp"

// The bounded mode (a tolerance or a move budget): the candidates of incremental.hpp and the choice.
namespace eplb::detail {
namespace {

constexpr double kSlack = 1 + 1e-12;

}  // namespace

void Incremental::bounded_place(const LayerInput& in, const IncrementalPlan& plan, int32_t* out) {
    fresh_.resize(size_t(R_));
    inner_->place(in, {fresh_.data()});
    Search s;
    s.prev = in.previous;
    s.budget = plan.budget;
    const double tol = plan.tolerance;
    const double kappa = robust_kappa();
    const Maxima fm = maxima(fresh_.data(), kappa);
    s.tg.kappa = kappa;
    s.tg.load = fm.load * (1 + load_tolerance(tol));
    s.tg.robust = fm.robust * (1 + tol);
    s.tg.replica = fm.replica * (1 + rep_tolerance(tol));

    relabelled_.resize(size_t(R_));
    relabel(fresh_.data(), s.prev, relabelled_.data());
    s.moves_f = moved(relabelled_.data(), s.prev);
    s.fresh_ok = s.moves_f <= s.budget;

    const bool can_repair = policy_holds(s.prev);
    if (can_repair) search_repairs(s);
    // Hierarchical: nodes are independent once their groups are fixed. Where the fresh and the
    // repaired placement put the same groups on a node and the repaired node is within the
    // targets, take that node from the repair: only the nodes that need it are placed afresh.
    bool mixed_ok = false;
    if (can_repair && !s.repair_meets && s.fresh_ok && policy_ == Policy::hierarchical && N_ > 1) {
        mix_nodes(s);
        mixed_ok = s.moves_m < s.moves_f;
    }
    Chosen c = Chosen::fresh;
    if (can_repair && s.repair_meets && (!s.fresh_ok || s.moves_r <= s.moves_f)) c = Chosen::repaired;
    else if (mixed_ok) c = Chosen::mixed;
    else if (s.fresh_ok) c = Chosen::fresh;
    else if (can_repair) c = Chosen::repaired;
    else
        throw InvalidInput("the previous placement breaks the " + policy_name(policy_) +
                           " policy and a new one needs " + std::to_string(s.moves_f) +
                           " moved slots in a layer, more than max_moves (" + std::to_string(in.options.max_moves) + ")");
    const int32_t* chosen = c == Chosen::repaired ? repaired_.data() : c == Chosen::mixed ? mixed_.data() : relabelled_.data();
    if (c == Chosen::repaired) record(c, s.moves_r);
    else if (c == Chosen::mixed) record(c, s.moves_m);
    else record(c, s.moves_f, s.moves_r);
    std::copy(chosen, chosen + R_, out);
}

void Incremental::pool(Search& s, const std::vector<int32_t>& row) {
    if (pool_.size() <= s.pooled) pool_.emplace_back();
    pool_[s.pooled++].assign(row.begin(), row.end());
}

void Incremental::search_repairs(Search& s) {
    const int32_t* prev = s.prev;
    repaired_.resize(size_t(R_));
    s.moves_r = repair(prev, prev, repaired_.data(), s.tg, s.budget);
    s.repair_meets = meets(repaired_.data(), s.tg);
    pool(s, repaired_);
    // Replica counts redone (D'Hondt) on the previous placement, then repaired.
    if (!s.repair_meets && policy_ != Policy::hybrid) {
        swapped_.resize(size_t(R_));
        recount_replicas(prev, swapped_.data());
        if (moved(swapped_.data(), prev) <= s.budget) try_start(s);
    }
    // Hierarchical: when the busiest node alone keeps the target out of reach, try moving one
    // group to another node (swapping it with one of that node's groups), then repair.
    if (!s.repair_meets && policy_ == Policy::hierarchical && N_ > 1) {
        int32_t pref1 = -1, pref2 = -1;
        if (s.fresh_ok) fresh_exchange(pref1, pref2);
        swapped_.resize(size_t(R_));
        if (swap_groups(prev, swapped_.data(), s.tg.load, pref1, pref2)) {
            if (moved(swapped_.data(), prev) <= s.budget && policy_holds(swapped_.data())) try_start(s);
            policy_holds(prev);
        }
    }
}

void Incremental::try_start(Search& s) {
    alt_.resize(size_t(R_));
    const int64_t moves_a = repair(swapped_.data(), s.prev, alt_.data(), s.tg, s.budget);
    const bool alt_meets = meets(alt_.data(), s.tg);
    pool(s, alt_);
    if (alt_meets || maxima(alt_.data(), s.tg.kappa).load < maxima(repaired_.data(), s.tg.kappa).load) {
        repaired_.swap(alt_);
        s.moves_r = moves_a;
        s.repair_meets = alt_meets;
    }
}

// If the fresh placement pairs the groups as the previous one up to one exchange of two groups,
// that exchange (the per-node mix can then use either); else -1, -1.
void Incremental::fresh_exchange(int32_t& pref1, int32_t& pref2) {
    int32_t differ = 0;
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

void Incremental::mix_nodes(Search& s) {
    const int32_t* prev = s.prev;
    mixed_.assign(relabelled_.begin(), relabelled_.end());
    std::vector<char> gf(static_cast<size_t>(groups_), 0), gr(static_cast<size_t>(groups_), 0);
    std::vector<int32_t> cnt(size_t(E_), 0);
    for (int32_t n = 0; n < N_; ++n) {
        const int32_t lo = n * spn_, hi = lo + spn_;
        std::fill(gf.begin(), gf.end(), 0);
        for (int32_t q = lo; q < hi; ++q) gf[size_t(relabelled_[size_t(q)] / group_size_)] = 1;
        int64_t best_moves = 0;
        for (int32_t q = lo; q < hi; ++q) best_moves += relabelled_[size_t(q)] != prev[q];
        for (size_t k = 0; k < s.pooled; ++k) {
            const std::vector<int32_t>& row = pool_[k];
            std::fill(gr.begin(), gr.end(), 0);
            for (int32_t q = lo; q < hi; ++q) gr[size_t(row[size_t(q)] / group_size_)] = 1;
            if (gf != gr) continue;
            int64_t mr = 0;
            for (int32_t q = lo; q < hi; ++q) mr += row[size_t(q)] != prev[q];
            if (mr >= best_moves) continue;
            if (node_meets(row, lo, hi, s.tg, cnt)) {
                best_moves = mr;
                std::copy(row.begin() + lo, row.begin() + hi, mixed_.begin() + lo);
            }
        }
    }
    s.moves_m = moved(mixed_.data(), prev);
}

// Whether the GPUs of slots [lo, hi) of `row` are within the targets (`cnt`: zeros, left zeros).
bool Incremental::node_meets(const std::vector<int32_t>& row, int32_t lo, int32_t hi, const Targets& tg,
                             std::vector<int32_t>& cnt) {
    for (int32_t q = lo; q < hi; ++q) ++cnt[size_t(row[size_t(q)])];
    bool ok = true;
    for (int32_t g = lo / spg_; g < hi / spg_ && ok; ++g) {
        double sum = 0, sq = 0;
        for (int32_t q = g * spg_; q < (g + 1) * spg_; ++q) {
            const double r = w_[row[size_t(q)]] / double(cnt[size_t(row[size_t(q)])]);
            sum += r, sq += r * r;
            ok = ok && r <= tg.replica * kSlack;
        }
        ok = ok && sum <= tg.load * kSlack && sum + tg.kappa * std::sqrt(sq) <= tg.robust * kSlack;
    }
    for (int32_t q = lo; q < hi; ++q) cnt[size_t(row[size_t(q)])] = 0;
    return ok;
}

void Incremental::recount_replicas(const int32_t* prev, int32_t* out) {
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

}  // namespace eplb::detail

#include "rebalancing/incremental.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

// Hierarchical policy: groups moved between nodes (one exchange of two groups, or a new group-to-node map).
namespace eplb::detail {

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

}  // namespace eplb::detail

#include "rebalancing/assignment.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tuple>

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

}  // namespace eplb::detail

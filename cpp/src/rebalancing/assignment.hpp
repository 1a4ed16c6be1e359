#pragma once
// The assignment solver of the incremental mode's relabelling and group maps.
#include <cstdint>
#include <vector>

namespace eplb::detail {

// Maximum-weight perfect assignment on an n x n matrix of non-negative integers (row-major):
// assign[i] = column of row i. Exact (Hungarian) for n <= 128, greedy above. Deterministic.
void max_weight_assignment(const std::vector<int64_t>& weight, int32_t n, std::vector<int32_t>& assign);

}  // namespace eplb::detail

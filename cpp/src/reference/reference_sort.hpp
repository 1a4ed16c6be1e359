#pragma once
#include <cstdint>
#include <vector>

namespace eplb::detail {

// The order in which DeepSeek's reference visits items: `weight.sort(descending=True)` in
// PyTorch on the CPU, an introsort (median-of-three quicksort, heapsort past a depth limit,
// insertion sort below 16 items) that compares weights only. It is not stable: items of equal
// weight come out in the order this particular algorithm leaves them, so parity with the
// reference on ties needs the same algorithm's result (computed here with fewer branches, see
// partition in the .cpp). Writes order[0..n); `items` and `stops` are scratch.
void reference_order_descending(const float* weight, int32_t n, std::vector<uint64_t>& items,
                                std::vector<int32_t>& stops, int32_t* order);

}  // namespace eplb::detail

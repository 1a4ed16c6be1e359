#pragma once
#include <cstdint>

namespace eplb::detail {

// The order in which DeepSeek's reference visits items: `weight.sort(descending=True)` in
// PyTorch on the CPU, an introsort (median-of-three quicksort, heapsort past a depth limit,
// insertion sort below 16 items) that compares weights only. It is not stable: items of equal
// weight come out in the order this particular algorithm leaves them, so parity with the
// reference on ties needs the same algorithm, step for step. Writes order[0..n).
void reference_order_descending(const float* weight, int32_t n, uint64_t* scratch, int32_t* order);

}  // namespace eplb::detail

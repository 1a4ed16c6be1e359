#pragma once
#include <cstdint>
#include <vector>

namespace eplb::detail {

// DeepSeek's balanced_packing: n items onto m packs, exactly n/m items each. Items are visited by
// weight descending, in the reference's own order for ties (reference_sort.hpp); each goes to the lightest pack with room (ties:
// lower pack index), float32 accumulation. n/m == 1 puts item i in pack i.
class DeepSeekPacker {
public:
    void pack(const float* weight, int32_t n, int32_t m, int32_t* pack, int32_t* rank);

    // The same with the items already in visiting order.
    void pack_in_order(const float* weight, int32_t n, int32_t m, int32_t* pack, int32_t* rank);

private:
    void assign(const float* weight, int32_t n, int32_t m, int32_t* pack, int32_t* rank);

    std::vector<int32_t> order_, count_, stops_;
    std::vector<uint64_t> keys_;
    std::vector<float> sum_;
    std::vector<uint64_t> heap_;  // open packs keyed (load bits, index), for many packs
};

// Ascending sort of n integer keys (tmp: n more), with few data-dependent branches.
void sort_keys(uint64_t* keys, uint64_t* tmp, int32_t n);

// The same for n <= 64 keys whose high halves all differ: each key goes to the count of smaller
// ones (loops that compilers vectorize, no branches on the data). Returns false, keys unchanged,
// when n > 64 or two high halves are equal.
bool sort_distinct_keys(uint64_t* keys, int32_t n);

}  // namespace eplb::detail

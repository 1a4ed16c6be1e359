#include "reference/reference_sort.hpp"

#include "reference/float_bits.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace eplb::detail {
namespace {

// An item is (weight bits, index) in one integer; only the weight takes part in comparisons.
using Item = uint64_t;
constexpr int64_t kThreshold = 16;

inline uint32_t weight(Item a) { return uint32_t(a >> 32); }
inline bool before(Item a, Item b) { return weight(a) > weight(b); }  // heavier first

void sift_up(Item* a, int64_t hole, int64_t top, Item value) {
    int64_t parent = (hole - 1) / 2;
    while (hole > top && before(a[parent], value)) {
        a[hole] = a[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    a[hole] = value;
}

void sift_down(Item* a, int64_t hole, int64_t len, Item value) {
    const int64_t top = hole;
    int64_t child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (before(a[child], a[child - 1])) --child;
        a[hole] = a[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        a[hole] = a[child - 1];
        hole = child - 1;
    }
    sift_up(a, hole, top, value);
}

void heap_sort(Item* a, int64_t len) {
    if (len < 2) return;
    for (int64_t parent = (len - 2) / 2;; --parent) {
        sift_down(a, parent, len, a[parent]);
        if (parent == 0) break;
    }
    for (int64_t last = len - 1; last > 0; --last) {
        const Item value = a[last];
        a[last] = a[0];
        sift_down(a, 0, last, value);
    }
}

void median_to_first(Item* result, Item* x, Item* y, Item* z) {
    if (before(*x, *y)) {
        if (before(*y, *z)) std::swap(*result, *y);
        else if (before(*x, *z)) std::swap(*result, *z);
        else std::swap(*result, *x);
    } else if (before(*x, *z)) {
        std::swap(*result, *x);
    } else if (before(*y, *z)) {
        std::swap(*result, *z);
    } else {
        std::swap(*result, *y);
    }
}

// Hoare's partition of [first, last) around *pivot as the reference runs it: a scan from the
// left stops at an item not heavier than the pivot, one from the right at an item not lighter,
// the two are swapped, and so on until the scans cross; the cut is where the left scan stopped.
// The k-th swap exchanges the k-th stop of each scan, and every stop before the crossing lies
// in the part no swap has touched yet, so both lists of stops can be taken from the items as
// they are, without a branch per item (the scans' unpredictable ends are most of a plain
// partition's cost). At the crossing the left scan stops at the earlier of its next stop and
// the last swapped position. `stops` has room for 2 * (last - first) + 2 positions (each list
// ends with a sentinel that makes the scans cross).
Item* partition(Item* first, Item* last, const Item* pivot, int32_t* stops) {
    const int32_t n = int32_t(last - first);
    const uint32_t p = weight(*pivot);
    int32_t* left = stops;           // ascending, then n
    int32_t* right = stops + n + 1;  // -1, then ascending
    int32_t lefts = 0, rights = 1;
    right[0] = -1;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t w = weight(first[i]);
        left[lefts] = i;
        right[rights] = i;
        lefts += w <= p;
        rights += w >= p;
    }
    left[lefts] = n;
    int32_t swapped = n;  // the right scan's last stop (none yet: the end)
    const int32_t* r = right + rights - 1;
    for (const int32_t* l = left;; ++l, --r) {
        if (*l >= *r) return first + std::min(*l, swapped);
        std::swap(first[*l], first[*r]);
        swapped = *r;
    }
}

// The reference ends with an insertion sort of the whole array, which is stable and, after the
// partitions, moves no item out of its final range of at most 16; so each range is sorted on its
// own, stably: an item's place is the count of heavier items plus equal ones before it. Weights
// as signed integers (a non-negative float's bits are below 2^31), four items per vector, padded
// with -1: no branches on the data (the insertion sort's are unpredictable).
void stable_sort_small(Item* a, int32_t n) {
    using Lanes = int32_t __attribute__((vector_size(16)));
    int32_t w[kThreshold];
    for (int32_t i = 0; i < kThreshold; ++i) w[i] = i < n ? int32_t(weight(a[i])) : -1;
    Lanes wv[4], rank[4];
    std::memcpy(wv, w, sizeof w);
    const Lanes position[4] = {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}, {12, 13, 14, 15}};
    for (int32_t q = 0; q < 4; ++q) rank[q] = Lanes{0, 0, 0, 0};
    for (int32_t j = 0; j < n; ++j) {
        const Lanes wj = {w[j], w[j], w[j], w[j]}, jv = {j, j, j, j};
        for (int32_t q = 0; q < 4; ++q) rank[q] -= (wj > wv[q]) | ((wj == wv[q]) & (jv < position[q]));
    }
    int32_t place[kThreshold];
    std::memcpy(place, rank, sizeof place);
    Item sorted[kThreshold];
    for (int32_t i = 0; i < n; ++i) sorted[place[i]] = a[i];
    std::copy(sorted, sorted + n, a);
}

void quick_sort(Item* first, Item* last, int depth, int32_t* stops) {
    while (last - first > kThreshold) {
        if (depth == 0) {
            heap_sort(first, last - first);  // sorted: the final insertion sort leaves it as is
            return;
        }
        --depth;
        median_to_first(first, first + 1, first + (last - first) / 2, last - 1);
        Item* cut = partition(first + 1, last, first, stops);
        quick_sort(cut, last, depth, stops);
        last = cut;
    }
    stable_sort_small(first, int32_t(last - first));
}

}  // namespace

void reference_order_descending(const float* w, int32_t n, std::vector<uint64_t>& items,
                                std::vector<int32_t>& stops, int32_t* order) {
    items.resize(size_t(n));
    stops.resize(2 * size_t(n) + 2);
    Item* a = items.data();
    for (int32_t i = 0; i < n; ++i) a[i] = (uint64_t(float_bits(w[i])) << 32) | uint32_t(i);
    int depth = 0;
    for (int32_t k = n; k > 1; k >>= 1) ++depth;
    quick_sort(a, a + n, 2 * depth, stops.data());
    for (int32_t i = 0; i < n; ++i) order[i] = int32_t(uint32_t(a[i]));
}

}  // namespace eplb::detail

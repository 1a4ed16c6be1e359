#include "reference_sort.hpp"

#include "float_bits.hpp"

#include <cstring>
#include <utility>

namespace eplb::detail {
namespace {

// An item is (weight bits, index) in one integer; only the weight takes part in comparisons.
using Item = uint64_t;
constexpr int64_t kThreshold = 16;

inline bool before(Item a, Item b) { return uint32_t(a >> 32) > uint32_t(b >> 32); }  // heavier first

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

Item* partition(Item* first, Item* last, const Item* pivot) {
    for (;;) {
        while (before(*first, *pivot)) ++first;
        --last;
        while (before(*pivot, *last)) --last;
        if (!(first < last)) return first;
        std::swap(*first, *last);
        ++first;
    }
}

void quick_sort(Item* first, Item* last, int depth) {
    while (last - first > kThreshold) {
        if (depth == 0) {
            heap_sort(first, last - first);
            return;
        }
        --depth;
        median_to_first(first, first + 1, first + (last - first) / 2, last - 1);
        Item* cut = partition(first + 1, last, first);
        quick_sort(cut, last, depth);
        last = cut;
    }
}

void linear_insert(Item* last) {
    const Item value = *last;
    Item* next = last - 1;
    while (before(value, *next)) {
        *last = *next;
        last = next--;
    }
    *last = value;
}

void insertion_sort(Item* first, Item* last) {
    if (first == last) return;
    for (Item* i = first + 1; i != last; ++i) {
        if (before(*i, *first)) {
            const Item value = *i;
            for (Item* j = i; j != first; --j) *j = *(j - 1);
            *first = value;
        } else {
            linear_insert(i);
        }
    }
}

}  // namespace

void reference_order_descending(const float* w, int32_t n, uint64_t* a, int32_t* order) {
    for (int32_t i = 0; i < n; ++i) {
        a[i] = (uint64_t(float_bits(w[i])) << 32) | uint32_t(i);
    }
    if (n > 1) {
        int depth = 0;
        for (int32_t k = n; k > 1; k >>= 1) ++depth;
        quick_sort(a, a + n, 2 * depth);
        if (n > kThreshold) {
            insertion_sort(a, a + kThreshold);
            for (Item* i = a + kThreshold; i != a + n; ++i) linear_insert(i);
        } else {
            insertion_sort(a, a + n);
        }
    }
    for (int32_t i = 0; i < n; ++i) order[i] = int32_t(uint32_t(a[i]));
}

}  // namespace eplb::detail

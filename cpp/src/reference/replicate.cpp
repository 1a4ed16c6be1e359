#include "reference/replicate.hpp"

#include "reference/float_bits.hpp"

#include <algorithm>
#include <cstdint>

namespace eplb::detail {
namespace {

uint64_t value_key(float value, int32_t e) { return (uint64_t(float_bits(value)) << 32) | ~uint32_t(e); }

}  // namespace

void Replicator::Tree::reset(const float* w, int32_t n) {
    leaves_ = 1;
    while (leaves_ < n) leaves_ *= 2;
    node_.assign(size_t(2 * leaves_), 0);  // 0 is below every key (~expert is never 0 here)
    for (int32_t e = 0; e < n; ++e) node_[size_t(leaves_ + e)] = value_key(w[e], e);
    for (int32_t i = leaves_ - 1; i >= 1; --i) node_[size_t(i)] = std::max(node_[size_t(2 * i)], node_[size_t(2 * i + 1)]);
    next_.resize(size_t(n));
    for (int32_t e = 0; e < n; ++e) next_[size_t(e)] = w[e] / 2.0f;
}

// A pick replays only the picked expert's path, log2(n) branch-free steps; the division for
// its following value stays off the path from one pick to the next.
__attribute__((always_inline)) inline void Replicator::Tree::pick(const float* w, int32_t slot, int32_t* slot_expert,
                                                                   int32_t* count) {
    uint64_t* tree = node_.data();
    const int32_t e = int32_t(~uint32_t(tree[1]));
    slot_expert[slot] = e;
    uint64_t k = value_key(next_[size_t(e)], e);
    next_[size_t(e)] = w[e] / float(++count[e] + 1);
    size_t i = size_t(leaves_ + e);
    tree[i] = k;
    for (; i > 1; i >>= 1) {
        const uint64_t sibling = tree[i ^ 1];
        k = sibling > k ? sibling : k;
        tree[i >> 1] = k;
    }
}

void Replicator::replicate(const float* w, int32_t n, int32_t m, int32_t* slot_expert, int32_t* count) {
    for (int32_t i = 0; i < n; ++i) slot_expert[i] = i, count[i] = 1;
    if (m == n) return;
    if (scan(n, m)) {
        // Few extra slots: a first-maximum scan over every expert per slot (cheaper than the
        // tournament at this size).
        value_.assign(w, w + n);
        for (int32_t slot = n; slot < m; ++slot) {
            int32_t best = 0;
            float top = value_[0];
            for (int32_t e = 1; e < n; ++e) {
                const bool larger = value_[size_t(e)] > top;
                best = larger ? e : best;
                top = larger ? value_[size_t(e)] : top;
            }
            slot_expert[slot] = best;
            value_[size_t(best)] = w[best] / float(++count[best]);
        }
        return;
    }
    tree_.reset(w, n);
    for (int32_t slot = n; slot < m; ++slot) tree_.pick(w, slot, slot_expert, count);
}

void Replicator::replicate_two(const float* wa, const float* wb, int32_t n, int32_t m, int32_t* slot_a,
                               int32_t* count_a, int32_t* slot_b, int32_t* count_b) {
    if (m == n || scan(n, m)) {
        replicate(wa, n, m, slot_a, count_a);
        replicate(wb, n, m, slot_b, count_b);
        return;
    }
    for (int32_t i = 0; i < n; ++i) slot_a[i] = slot_b[i] = i, count_a[i] = count_b[i] = 1;
    tree_.reset(wa, n);
    other_.reset(wb, n);
    for (int32_t slot = n; slot < m; ++slot) {
        tree_.pick(wa, slot, slot_a, count_a);
        other_.pick(wb, slot, slot_b, count_b);
    }
}

}  // namespace eplb::detail

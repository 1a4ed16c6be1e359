#include "replicate.hpp"

#include "float_bits.hpp"

#include <algorithm>
#include <cstdint>

namespace eplb::detail {

void Replicator::replicate(const float* w, int32_t n, int32_t m, int32_t* slot_expert, int32_t* count) {
    for (int32_t i = 0; i < n; ++i) slot_expert[i] = i, count[i] = 1;
    if (m == n) return;
    const int32_t extra = m - n;
    if (int64_t(extra) * n <= 1024) {
        // Few extra slots: a first-maximum scan over every expert per slot (cheaper than the
        // tournament below at this size).
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
    // More extra slots: the experts' current values in a tournament (winner tree) keyed by
    // (value bits, ~expert), whose root is the largest value, ties to the lowest index: the
    // reference's first maximum. A pick replays only that expert's path, log2(n) branch-free
    // steps.
    int32_t leaves = 1;
    while (leaves < n) leaves *= 2;
    auto key = [](float value, int32_t e) { return (uint64_t(float_bits(value)) << 32) | ~uint32_t(e); };
    tree_.assign(size_t(2 * leaves), 0);  // 0 is below every key (~expert is never 0 here)
    for (int32_t e = 0; e < n; ++e) tree_[size_t(leaves + e)] = key(w[e], e);
    for (int32_t i = leaves - 1; i >= 1; --i) tree_[size_t(i)] = std::max(tree_[size_t(2 * i)], tree_[size_t(2 * i + 1)]);
    // Each expert's value after its next replica, computed ahead: the division stays off the
    // path from one pick to the next.
    next_.resize(size_t(n));
    for (int32_t e = 0; e < n; ++e) next_[size_t(e)] = w[e] / 2.0f;
    for (int32_t slot = n; slot < m; ++slot) {
        const int32_t e = int32_t(~uint32_t(tree_[1]));
        slot_expert[slot] = e;
        uint64_t k = key(next_[size_t(e)], e);
        next_[size_t(e)] = w[e] / float(++count[e] + 1);
        uint64_t* tree = tree_.data();
        size_t i = size_t(leaves + e);
        tree[i] = k;
        for (; i > 1; i >>= 1) {
            const uint64_t sibling = tree[i ^ 1];
            k = sibling > k ? sibling : k;
            tree[i >> 1] = k;
        }
    }
}

}  // namespace eplb::detail

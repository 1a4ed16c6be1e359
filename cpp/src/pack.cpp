#include "pack.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

namespace eplb::detail {
namespace {

// For non-negative floats the bit pattern orders like the value. Key = (~bits, index): ascending
// keys are weights descending, ties by lower index; one integer sort, no indirection.
inline uint64_t descending_key(float w, int32_t i) {
    uint32_t bits;
    std::memcpy(&bits, &w, sizeof bits);
    return (uint64_t(~bits) << 32) | uint32_t(i);
}

}  // namespace

void order_descending(const float* w, int32_t n, std::vector<int32_t>& order, std::vector<uint64_t>& keys) {
    keys.resize(size_t(n));
    for (int32_t i = 0; i < n; ++i) keys[size_t(i)] = descending_key(w[i], i);
    std::sort(keys.begin(), keys.end());
    order.resize(size_t(n));
    for (int32_t i = 0; i < n; ++i) order[size_t(i)] = int32_t(uint32_t(keys[size_t(i)]));
}

void BalancedPacker::pack(const float* w, int32_t n, int32_t m, int32_t* pack, int32_t* rank) {
    const int32_t per_pack = n / m;
    if (per_pack == 1) {
        for (int32_t i = 0; i < n; ++i) pack[i] = i, rank[i] = 0;
        return;
    }
    order_descending(w, n, order_, keys_);
    load_.assign(size_t(m), 0.0f);
    count_.assign(size_t(m), 0);
    if (m <= 16) {
        // Open packs kept sorted by (load, index): the lightest is always first, and the pack
        // that just grew moves back past the packs now lighter (few steps: items shrink).
        float load[16];
        int32_t id[16], count[16] = {};
        int32_t open = m;
        for (int32_t p = 0; p < m; ++p) load[p] = 0.0f, id[p] = p;
        for (int32_t item : order_) {
            const int32_t best = id[0];
            pack[item] = best;
            rank[item] = count[best];
            const float grown = load[0] + w[item];
            int32_t q = 1;
            if (++count[best] == per_pack) {
                for (; q < open; ++q) load[q - 1] = load[q], id[q - 1] = id[q];
                --open;
                continue;
            }
            for (; q < open && (load[q] < grown || (load[q] == grown && id[q] < best)); ++q)
                load[q - 1] = load[q], id[q - 1] = id[q];
            load[q - 1] = grown;
            id[q - 1] = best;
        }
        return;
    }
    // Same choice in O(log m): the heap top is the lightest open pack (ties: lower index).
    heap_.resize(size_t(m));
    std::iota(heap_.begin(), heap_.end(), 0);  // all loads 0: index order is already a heap
    auto later = [this](int32_t a, int32_t b) {
        return load_[size_t(a)] > load_[size_t(b)] || (load_[size_t(a)] == load_[size_t(b)] && a > b);
    };
    for (int32_t item : order_) {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        const int32_t best = heap_.back();
        pack[item] = best;
        rank[item] = count_[size_t(best)]++;
        load_[size_t(best)] += w[item];
        if (count_[size_t(best)] < per_pack)
            std::push_heap(heap_.begin(), heap_.end(), later);
        else
            heap_.pop_back();
    }
}

}  // namespace eplb::detail

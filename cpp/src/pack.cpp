#include "pack.hpp"

#include "reference_sort.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>

namespace eplb::detail {
namespace {

// For non-negative floats the bit pattern orders like the value. Key = (~bits, index): ascending
// keys are weights descending, ties by lower index; one integer sort, no indirection.
inline uint32_t float_bits(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}


}  // namespace

void order_descending(const float* w, int32_t n, std::vector<int32_t>& order, std::vector<uint64_t>& keys) {
    keys.resize(size_t(n));
    order.resize(size_t(n));
    reference_order_descending(w, n, keys.data(), order.data());
}

void BalancedPacker::pack(const float* w, int32_t n, int32_t m, int32_t* pack, int32_t* rank) {
    const int32_t per_pack = n / m;
    if (per_pack == 1) {
        for (int32_t i = 0; i < n; ++i) pack[i] = i, rank[i] = 0;
        return;
    }
    order_descending(w, n, order_, keys_);
    if (m <= 64) {
        // Open packs kept sorted by (load, index) in a ring: the lightest is at the head. The
        // pack that just grew is re-inserted by shifting whichever side of its place is shorter
        // (in LPT order it usually becomes the heaviest: no shift at all).
        constexpr int32_t mask = 127;
        float load[128];
        int32_t id[128], count[64] = {};
        int32_t head = 0, open = m;
        for (int32_t p = 0; p < m; ++p) load[p] = 0.0f, id[p] = p;
        auto before = [&](int32_t slot, float l, int32_t i) {  // ring slot sorts before (l, i)
            return load[slot] < l || (load[slot] == l && id[slot] < i);
        };
        for (int32_t item : order_) {
            const int32_t best = id[head];
            pack[item] = best;
            rank[item] = count[best];
            const float grown = load[head] + w[item];
            head = (head + 1) & mask;
            --open;
            if (++count[best] == per_pack) continue;
            if (open == 0 || before((head + open / 2) & mask, grown, best)) {
                int32_t q = open;  // shift the heavier packs right by one
                for (; q > 0 && !before((head + q - 1) & mask, grown, best); --q) {
                    load[(head + q) & mask] = load[(head + q - 1) & mask];
                    id[(head + q) & mask] = id[(head + q - 1) & mask];
                }
                load[(head + q) & mask] = grown, id[(head + q) & mask] = best;
            } else {
                head = (head - 1) & mask;  // shift the lighter packs left by one
                int32_t q = 0;
                for (; q < open && before((head + q + 1) & mask, grown, best); ++q) {
                    load[(head + q) & mask] = load[(head + q + 1) & mask];
                    id[(head + q) & mask] = id[(head + q + 1) & mask];
                }
                load[(head + q) & mask] = grown, id[(head + q) & mask] = best;
            }
            ++open;
        }
        return;
    }
    // Many packs: a min-heap of (load bits, index) keys gives the same choice in O(log m).
    heap_.resize(size_t(m));
    for (int32_t p = 0; p < m; ++p) heap_[size_t(p)] = uint64_t(uint32_t(p));  // load 0: already a heap
    sum_.assign(size_t(m), 0.0f);
    count_.assign(size_t(m), 0);
    const auto later = std::greater<uint64_t>();
    for (int32_t item : order_) {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        const int32_t best = int32_t(uint32_t(heap_.back()));
        pack[item] = best;
        rank[item] = count_[size_t(best)]++;
        sum_[size_t(best)] += w[item];
        if (count_[size_t(best)] < per_pack) {
            heap_.back() = (uint64_t(float_bits(sum_[size_t(best)])) << 32) | uint32_t(best);
            std::push_heap(heap_.begin(), heap_.end(), later);
        } else {
            heap_.pop_back();
        }
    }
}

}  // namespace eplb::detail

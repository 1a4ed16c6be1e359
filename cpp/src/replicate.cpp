#include "replicate.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace eplb::detail {
namespace {

inline uint32_t float_bits(float f) {
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b;
}

}  // namespace

void Replicator::replicate(const float* w, int32_t n, int32_t m, int32_t* slot_expert, int32_t* count) {
    for (int32_t i = 0; i < n; ++i) slot_expert[i] = i, count[i] = 1;
    if (m == n) return;
    const int32_t extra = m - n;
    if (extra <= 64 && extra < n) {
        // Every extra slot goes to an expert among the `extra` heaviest (ties: lower index): until
        // then some expert of that set is untouched and outranks every expert outside it. So the
        // first-maximum scan runs over those candidates only, in index order.
        keys_.resize(size_t(n));
        for (int32_t e = 0; e < n; ++e) keys_[size_t(e)] = (uint64_t(~float_bits(w[e])) << 32) | uint32_t(e);
        std::nth_element(keys_.begin(), keys_.begin() + (extra - 1), keys_.end());
        std::sort(keys_.begin(), keys_.begin() + extra,
                  [](uint64_t a, uint64_t b) { return uint32_t(a) < uint32_t(b); });
        cand_.resize(size_t(extra));
        value_.resize(size_t(extra));
        for (int32_t k = 0; k < extra; ++k) {
            cand_[size_t(k)] = int32_t(uint32_t(keys_[size_t(k)]));
            value_[size_t(k)] = w[cand_[size_t(k)]];
        }
        for (int32_t slot = n; slot < m; ++slot) {
            int32_t best = 0;
            for (int32_t k = 1; k < extra; ++k) best = value_[size_t(k)] > value_[size_t(best)] ? k : best;
            const int32_t e = cand_[size_t(best)];
            slot_expert[slot] = e;
            value_[size_t(best)] = w[e] / float(++count[e]);
        }
        return;
    }
    // Max-heap of (value bits, ~expert) keys: the top is the first maximum, as the reference.
    heap_.resize(size_t(n));
    for (int32_t i = 0; i < n; ++i) heap_[size_t(i)] = (uint64_t(float_bits(w[i])) << 32) | uint32_t(~uint32_t(i));
    std::make_heap(heap_.begin(), heap_.end());
    for (int32_t slot = n; slot < m; ++slot) {
        std::pop_heap(heap_.begin(), heap_.end());
        const int32_t e = int32_t(~uint32_t(heap_.back()));
        slot_expert[slot] = e;
        ++count[e];
        heap_.back() = (uint64_t(float_bits(w[e] / float(count[e]))) << 32) | uint32_t(~uint32_t(e));
        std::push_heap(heap_.begin(), heap_.end());
    }
}

}  // namespace eplb::detail

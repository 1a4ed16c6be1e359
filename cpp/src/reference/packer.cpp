#include "reference/packer.hpp"

#include "reference/float_bits.hpp"
#include "reference/pack_tournament.hpp"
#include "reference/reference_sort.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>

namespace eplb::detail {

// Blocks of 4 by a sorting network, then bottom-up merges that pick with conditional moves. On the
// ~72-item arrays met per node it avoids most of a comparison sort's branch mispredictions.
void sort_keys(uint64_t* a, uint64_t* tmp, int32_t n) {
    auto order2 = [](uint64_t& x, uint64_t& y) {
        const uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
        x = lo, y = hi;
    };
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        order2(a[i], a[i + 1]), order2(a[i + 2], a[i + 3]);
        order2(a[i], a[i + 2]), order2(a[i + 1], a[i + 3]);
        order2(a[i + 1], a[i + 2]);
    }
    for (int32_t j = i + 1; j < n; ++j)  // the last 1-3 keys
        for (int32_t k = j; k > i && a[k] < a[k - 1]; --k) std::swap(a[k], a[k - 1]);
    uint64_t* src = a;
    uint64_t* dst = tmp;
    constexpr uint64_t none = ~uint64_t(0);  // above every key (a key's index is < 2^32 - 1)
    uint64_t left[65], right[65];            // runs of up to 64 keys and a sentinel
    for (int32_t width = 4; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            const int32_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
            if (width > 64 || mid == hi) {
                std::merge(src + lo, src + mid, src + mid, src + hi, dst + lo);
                continue;
            }
            // Runs copied out with a sentinel: a fixed number of steps, no bounds to test.
            std::copy(src + lo, src + mid, left);
            std::copy(src + mid, src + hi, right);
            left[mid - lo] = none, right[hi - mid] = none;
            int32_t x = 0, y = 0;
            for (int32_t k = lo; k < hi; ++k) {
                const uint64_t u = left[x], v = right[y];
                const bool take_right = v < u;
                dst[k] = take_right ? v : u;
                x += !take_right;
                y += take_right;
            }
        }
        std::swap(src, dst);
    }
    if (src != a) std::copy(src, src + n, a);
}

#if defined(__wasm_simd128__)
namespace {

// below[i] = the number of j < n with high[j] < high[i], four items at a time against blocks
// of four (a load shared by four compares, one horizontal sum per item): under Node 0.12 ms a V3
// call, against 0.15 ms for the plain loop of sort_distinct_keys as clang vectorizes it.
void count_below(const int32_t* high, int32_t n, int32_t* below) {
    using Lanes = int32_t __attribute__((vector_size(16)));
    int32_t padded[64];
    for (int32_t i = 0; i < 64; ++i) padded[i] = i < n ? high[i] : INT32_MAX;  // counts for no one
    Lanes h[16];
    std::memcpy(h, padded, sizeof h);
    const int32_t blocks = (n + 3) / 4;
    for (int32_t qi = 0; qi < blocks; ++qi) {
        const Lanes x = h[qi];
        const Lanes a = {x[0], x[0], x[0], x[0]}, b = {x[1], x[1], x[1], x[1]};
        const Lanes c = {x[2], x[2], x[2], x[2]}, d = {x[3], x[3], x[3], x[3]};
        Lanes sa = {0, 0, 0, 0}, sb = sa, sc = sa, sd = sa;
        for (int32_t q = 0; q < blocks; ++q) {
            const Lanes v = h[q];
            sa -= v < a, sb -= v < b, sc -= v < c, sd -= v < d;
        }
        below[4 * qi] = sa[0] + sa[1] + sa[2] + sa[3];
        below[4 * qi + 1] = sb[0] + sb[1] + sb[2] + sb[3];
        below[4 * qi + 2] = sc[0] + sc[1] + sc[2] + sc[3];
        below[4 * qi + 3] = sd[0] + sd[1] + sd[2] + sd[3];
    }
}

}  // namespace
#endif

// Each key goes to the count of keys whose high half is smaller: loops the compiler vectorizes
// (natively the plain loop, fused with the placing; kept as it is because small rearrangements
// of it cost 3-15% at the V3 shape), and on x86-64 with GCC an AVX2 clone as well, chosen when
// the program loads (twice the lanes; the default build targets plain x86-64, SSE2).
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
bool sort_distinct_keys(uint64_t* keys, int32_t n) {
    if (n > 64) return false;
    int32_t high[64];  // high halves, offset so that signed order is their unsigned order
    for (int32_t i = 0; i < n; ++i) high[i] = int32_t(uint32_t(keys[i] >> 32) ^ 0x80000000u);
    uint64_t out[64], seen = 0;
#if defined(__wasm_simd128__)
    int32_t below[64];
    count_below(high, n, below);
#endif
    for (int32_t i = 0; i < n; ++i) {
#if defined(__wasm_simd128__)
        const int32_t rank = below[i];
#else
        const int32_t h = high[i];
        int32_t rank = 0;
        for (int32_t j = 0; j < n; ++j) rank += high[j] < h;
#endif
        out[rank] = keys[i];
        seen |= uint64_t(1) << rank;
    }
    if (seen != (n == 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1)) return false;
    std::copy(out, out + n, keys);
    return true;
}

void DeepSeekPacker::pack(const float* w, int32_t n, int32_t m, int32_t* pack, int32_t* rank) {
    const int32_t per_pack = n / m;
    if (per_pack == 1) {
        for (int32_t i = 0; i < n; ++i) pack[i] = i, rank[i] = 0;
        return;
    }
    order_.resize(size_t(n));
    reference_order_descending(w, n, keys_, stops_, order_.data());
    assign(w, n, m, pack, rank);
}

void DeepSeekPacker::pack_in_order(const float* w, int32_t n, int32_t m, int32_t* pack, int32_t* rank) {
    order_.resize(size_t(n));
    for (int32_t i = 0; i < n; ++i) order_[size_t(i)] = i;
    assign(w, n, m, pack, rank);
}

// LPT over order_: each item to the lightest pack with room, ties to the lower pack index.
void DeepSeekPacker::assign(const float* w, int32_t n, int32_t m, int32_t* pack, int32_t* rank) {
    const int32_t per_pack = n / m;
    if (m <= kTournamentMaxPacks) {
        with_tournament(m, [&](auto& packs) {
            packs.reset(m, per_pack);
            for (int32_t item : order_) pack[item] = packs.add(w[item], rank[item]);
        });
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

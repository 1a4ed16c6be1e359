#include "pack.hpp"

#include "float_bits.hpp"
#include "reference_sort.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>

namespace eplb::detail {

namespace {

// Ascending sort of n keys without data-dependent branches in the inner loops: blocks of 4 by a
// sorting network, then bottom-up merges that pick with conditional moves. On the ~72-item arrays
// met per node it avoids most of a comparison sort's branch mispredictions.
void branch_free_sort(uint64_t* a, uint64_t* tmp, int32_t n) {
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
    for (int32_t width = 4; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            const int32_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
            int32_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi) {
                const uint64_t u = src[x], v = src[y];
                const bool take_right = v < u;
                dst[k++] = take_right ? v : u;
                x += !take_right;
                y += take_right;
            }
            while (x < mid) dst[k++] = src[x++];
            while (y < hi) dst[k++] = src[y++];
        }
        std::swap(src, dst);
    }
    if (src != a) std::copy(src, src + n, a);
}

}  // namespace

void order_descending(const float* w, int32_t n, const int32_t* item_class, std::vector<int32_t>& order,
                      std::vector<uint64_t>& keys) {
    keys.resize(size_t(2 * n));
    order.resize(size_t(n));
    if (n <= 16 || item_class) {
        // Sorted by (weight descending, index ascending). Up to 16 items the reference's sort is
        // an insertion sort, which is stable: the same order. Beyond, the reference's order of
        // equal weights is its own, but equal weights of one class (replicas of one expert) are
        // interchangeable, so the stable order serves unless two classes tie.
        uint64_t* k = keys.data();
        for (int32_t i = 0; i < n; ++i) k[i] = (uint64_t(~float_bits(w[i])) << 32) | uint32_t(i);
        branch_free_sort(k, k + n, n);
        bool classes_tie = false;
        if (n > 16)
            for (int32_t i = 1; i < n; ++i)
                classes_tie |= (k[i] >> 32) == (k[i - 1] >> 32) &&
                               item_class[uint32_t(k[i])] != item_class[uint32_t(k[i - 1])];
        if (!classes_tie) {
            for (int32_t i = 0; i < n; ++i) order[size_t(i)] = int32_t(uint32_t(k[i]));
            return;
        }
    }
    reference_order_descending(w, n, keys.data(), order.data());
}

void BalancedPacker::pack(const float* w, int32_t n, int32_t m, int32_t* pack, int32_t* rank,
                          const int32_t* item_class) {
    const int32_t per_pack = n / m;
    if (per_pack == 1) {
        for (int32_t i = 0; i < n; ++i) pack[i] = i, rank[i] = 0;
        return;
    }
    order_descending(w, n, item_class, order_, keys_);
    if (m <= 16) {
        // Loads padded to 16 with +inf; a full pack's load becomes +inf too, so the choice is a
        // first minimum found with conditional moves. Open packs' loads are finite (inputs are
        // validated), so it equals the reference's scan over packs with room.
        constexpr float inf = std::numeric_limits<float>::infinity();
        float load[16], sum[16] = {};
        int32_t count[16] = {};
        for (int32_t p = 0; p < 16; ++p) load[p] = p < m ? 0.0f : inf;
        const int32_t width = m <= 8 ? 8 : 16;
        for (int32_t item : order_) {
            int32_t best = 0;
            float lightest = load[0];
            for (int32_t p = 1; p < width; ++p) {
                const bool lighter = load[p] < lightest;
                best = lighter ? p : best;
                lightest = lighter ? load[p] : lightest;
            }
            pack[item] = best;
            rank[item] = count[best]++;
            sum[best] += w[item];
            load[best] = count[best] == per_pack ? inf : sum[best];
        }
        return;
    }
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

#include "replicate.hpp"

#include "float_bits.hpp"
#include "pack.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace eplb::detail {

void Replicator::replicate(const float* w, int32_t n, int32_t m, int32_t* slot_expert, int32_t* count) {
    for (int32_t i = 0; i < n; ++i) slot_expert[i] = i, count[i] = 1;
    if (m == n) return;
    const int32_t extra = m - n;
    if (int64_t(extra) * n <= 1024) {
        // Few extra slots: a first-maximum scan over every expert per slot (cheaper than the
        // selection below, and its branches are well predicted).
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
    // Many extra slots. The picks are the `extra` largest quotients w[e] / k (k = 1, 2, ...: an
    // expert's value while it holds k replicas), taken in the order (quotient descending, expert
    // ascending), which is the reference's sequence. At least `extra` quotients are >= W / (extra
    // + n), so expert e contributes at most w[e] (extra + n) / W of them (+2 for float rounding).
    double total = 0;
    for (int32_t e = 0; e < n; ++e) total += double(w[e]);
    if (total == 0) {  // all values 0: the first maximum is always expert 0
        for (int32_t slot = n; slot < m; ++slot) slot_expert[slot] = 0;
        count[0] += extra;
        return;
    }
    const double scale = double(extra + n) / total;
    int64_t quotients = 0;
    for (int32_t e = 0; e < n; ++e) quotients += std::min<int64_t>(extra, int64_t(double(w[e]) * scale) + 2);
    keys_.resize(size_t(2 * quotients));
    uint64_t* key = keys_.data();
    for (int32_t e = 0; e < n; ++e) {
        const int64_t most = std::min<int64_t>(extra, int64_t(double(w[e]) * scale) + 2);
        for (int64_t k = 1; k <= most; ++k) *key++ = (uint64_t(~float_bits(w[e] / float(k))) << 32) | uint32_t(e);
    }
    std::nth_element(keys_.begin(), keys_.begin() + (extra - 1), keys_.begin() + quotients);
    sort_keys(keys_.data(), keys_.data() + extra, extra);  // the rest of keys_ is scratch now
    for (int32_t i = 0; i < extra; ++i) {
        const int32_t e = int32_t(uint32_t(keys_[size_t(i)]));
        slot_expert[n + i] = e;
        ++count[e];
    }
}

}  // namespace eplb::detail

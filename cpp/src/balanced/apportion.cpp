#include "balanced/apportion.hpp"

#include <algorithm>
#include <cmath>

namespace eplb::detail {
namespace {

// Hands out `seats` seats one at a time (step 1; step -1 takes them back) to the top of the heap
// (ordered by `order`); that expert stays in the heap, at value(e), while stays(its new count).
template <class Heap, class Order, class Value, class Stays>
void seat_loop(Heap& heap, int64_t seats, int32_t step, int32_t* count, Order order, Value value, Stays stays) {
    for (int64_t k = 0; k < seats && !heap.empty(); ++k) {
        std::pop_heap(heap.begin(), heap.end(), order);
        auto& top = heap.back();
        const int32_t e = top.expert;
        count[e] += step;
        if (!stays(count[e])) {
            heap.pop_back();
            continue;
        }
        top.count = count[e];
        top.value = value(e);
        std::push_heap(heap.begin(), heap.end(), order);
    }
}

constexpr size_t kFew = 16;  // up to this many extra seats, no heap

}  // namespace

// Divisor methods with everyone's first seat given: the next slot goes to the largest
// w / (c + offset). offset 0 is the reference's rule (largest current replica load), 1/2 is
// Sainte-Laguë (divisors 1, 3, 5, ... once the first seat is counted).
void Apportioner::divisor(const double* w, int32_t n, int32_t slots, int32_t cap, double offset, int32_t* count) {
    for (int32_t e = 0; e < n; ++e) count[e] = 1;
    if (slots <= n) return;
    auto below = [](const Entry& a, const Entry& b) {
        if (a.value != b.value) return a.value < b.value;
        if (a.count != b.count) return a.count > b.count;
        return a.expert > b.expert;
    };
    if (cap <= 1) return;
    // Only the `slots - n` experts first in line can win a seat: an expert further back gets one
    // only after each of them has won one (they come first while at one seat, and cap >= 2).
    const size_t extra = size_t(slots - n);
    heap_.clear();
    if (extra <= kFew) {
        // Few seats: keep the first in line sorted by insertion, then give each seat to the
        // first in line by a scan (the same order as the heap below).
        Entry top[kFew];
        size_t k = 0;
        for (int32_t e = 0; e < n; ++e) {
            const Entry c{offset == 0.0 ? w[e] : w[e] / (1.0 + offset), 1, e};  // w / 1 is w
            if (k == extra && !below(top[k - 1], c)) continue;
            size_t i = k < extra ? k++ : k - 1;
            for (; i > 0 && below(top[i - 1], c); --i) top[i] = top[i - 1];
            top[i] = c;
        }
        for (int32_t s = n; s < slots && k > 0; ++s) {
            size_t t = 0;
            for (size_t i = 1; i < k; ++i)
                if (below(top[t], top[i])) t = i;
            const int32_t e = top[t].expert;
            ++count[e];
            if (count[e] >= cap) {
                for (size_t i = t + 1; i < k; ++i) top[i - 1] = top[i];
                --k;
                continue;
            }
            top[t].count = count[e];
            top[t].value = w[e] / (double(count[e]) + offset);
        }
        return;
    }
    for (int32_t e = 0; e < n; ++e) heap_.push_back({w[e] / (1.0 + offset), 1, e});
    if (extra < heap_.size()) {
        auto first = [&](const Entry& a, const Entry& b) { return below(b, a); };
        std::nth_element(heap_.begin(), heap_.begin() + std::ptrdiff_t(extra - 1), heap_.end(), first);
        heap_.resize(extra);
    }
    std::make_heap(heap_.begin(), heap_.end(), below);
    seat_loop(heap_, int64_t(slots) - n, 1, count, below, [&](int32_t e) { return w[e] / (double(count[e]) + offset); },
              [cap](int32_t c) { return c < cap; });
}

void Apportioner::apportion(Apportionment rule, const double* w, int32_t n, int32_t slots, int32_t cap,
                            int32_t* count) {
    if (rule == Apportionment::dhondt) return divisor(w, n, slots, cap, 0.0, count);
    if (rule == Apportionment::sainte_lague) return divisor(w, n, slots, cap, 0.5, count);
    // Hamilton: floors of the quotas (at least one each), then the largest remainders.
    double total = 0;
    for (int32_t e = 0; e < n; ++e) total += w[e];
    if (!(total > 0)) return divisor(w, n, slots, cap, 0.0, count);  // all idle: round-robin
    quota_.resize(size_t(n));
    int64_t sum = 0;
    for (int32_t e = 0; e < n; ++e) {
        const double q = w[e] * double(slots) / total;
        quota_[size_t(e)] = q;
        const double f = std::floor(q);
        count[e] = int32_t(std::min<double>(double(cap), std::max(1.0, f)));
        sum += count[e];
    }
    auto below = [](const Entry& a, const Entry& b) {
        if (a.value != b.value) return a.value < b.value;
        if (a.count != b.count) return a.count > b.count;
        return a.expert > b.expert;
    };
    auto remainder = [&](int32_t e) { return quota_[size_t(e)] - double(count[e]); };
    heap_.clear();
    if (sum < slots) {
        // Largest remainder q - c first; an expert may win again with its remainder less one.
        for (int32_t e = 0; e < n; ++e)
            if (count[e] < cap) heap_.push_back({quota_[size_t(e)] - double(count[e]), count[e], e});
        std::make_heap(heap_.begin(), heap_.end(), below);
        seat_loop(heap_, slots - sum, 1, count, below, remainder, [cap](int32_t c) { return c < cap; });
    } else if (sum > slots) {
        // The minimum of one seat overshot: take back from the most over-represented (smallest
        // q - c) among experts with two or more.
        auto above = [&](const Entry& a, const Entry& b) { return below(b, a); };
        for (int32_t e = 0; e < n; ++e)
            if (count[e] >= 2) heap_.push_back({quota_[size_t(e)] - double(count[e]), count[e], e});
        std::make_heap(heap_.begin(), heap_.end(), above);
        seat_loop(heap_, sum - slots, -1, count, above, remainder, [](int32_t c) { return c >= 2; });
    }
}

}  // namespace eplb::detail

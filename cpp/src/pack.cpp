#include "pack.hpp"

#include <algorithm>
#include <numeric>

namespace eplb::detail {

void order_descending(const float* w, int32_t n, std::vector<int32_t>& order) {
    order.resize(size_t(n));
    std::iota(order.begin(), order.end(), 0);
    auto heavier = [w](int32_t a, int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); };
    if (n <= 32) {  // insertion sort beats std::sort's setup on the small arrays met per GPU
        for (int32_t i = 1; i < n; ++i) {
            const int32_t x = order[size_t(i)];
            int32_t j = i;
            for (; j > 0 && heavier(x, order[size_t(j - 1)]); --j) order[size_t(j)] = order[size_t(j - 1)];
            order[size_t(j)] = x;
        }
    } else {
        std::sort(order.begin(), order.end(), heavier);
    }
}

void BalancedPacker::pack(const float* w, int32_t n, int32_t m, int32_t* pack, int32_t* rank) {
    const int32_t per_pack = n / m;
    if (per_pack == 1) {
        for (int32_t i = 0; i < n; ++i) pack[i] = i, rank[i] = 0;
        return;
    }
    order_descending(w, n, order_);
    load_.assign(size_t(m), 0.0f);
    count_.assign(size_t(m), 0);
    if (m <= 16) {
        for (int32_t item : order_) {
            int32_t best = -1;
            for (int32_t p = 0; p < m; ++p)
                if (count_[size_t(p)] < per_pack && (best < 0 || load_[size_t(p)] < load_[size_t(best)])) best = p;
            pack[item] = best;
            rank[item] = count_[size_t(best)]++;
            load_[size_t(best)] += w[item];
        }
        return;
    }
    // Same choice as the scan above, in O(log m): the heap top is the lightest open pack.
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

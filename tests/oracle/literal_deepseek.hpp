// DeepSeek's EPLB (SPEC section 3) written out literally, slow and plain: the oracle that the
// fast `deepseek` is held to by tests/cpp/reference_steps_test.cpp and the fuzzer
// (tests/fuzz/fuzz_rebalance.cpp). Header-only, for tests.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace eplb::oracle {

// libstdc++'s std::sort (PyTorch's CPU sort) written out plainly over (weight, index) pairs,
// comparing weights only, heavier first: the oracle for the faster transcription in
// reference_sort.cpp.
inline std::vector<int32_t> literal_introsort(const std::vector<float>& w) {
    using Item = std::pair<float, int32_t>;
    std::vector<Item> a(w.size());
    for (size_t i = 0; i < w.size(); ++i) a[i] = {w[i], int32_t(i)};
    const auto before = [](const Item& x, const Item& y) { return x.first > y.first; };
    std::function<void(Item*, Item*, int)> loop = [&](Item* first, Item* last, int depth) {
        while (last - first > 16) {
            if (depth == 0) {
                std::make_heap(first, last, before);  // libstdc++'s heap steps, as std::partial_sort
                std::sort_heap(first, last, before);
                return;
            }
            --depth;
            Item* mid = first + (last - first) / 2;
            Item *x = first + 1, *y = mid, *z = last - 1;
            Item* median = before(*x, *y) ? (before(*y, *z) ? y : before(*x, *z) ? z : x)
                                            : (before(*x, *z) ? x : before(*y, *z) ? z : y);
            std::swap(*first, *median);
            Item *lo = first + 1, *hi = last;
            for (;;) {
                while (before(*lo, *first)) ++lo;
                --hi;
                while (before(*first, *hi)) --hi;
                if (!(lo < hi)) break;
                std::swap(*lo, *hi);
                ++lo;
            }
            loop(lo, last, depth);
            last = lo;
        }
    };
    int depth = 0;
    for (size_t k = a.size(); k > 1; k >>= 1) ++depth;
    loop(a.data(), a.data() + a.size(), 2 * depth);
    for (size_t i = 1; i < a.size(); ++i)  // the final insertion sort
        for (size_t j = i; j > 0 && before(a[j], a[j - 1]); --j) std::swap(a[j], a[j - 1]);
    std::vector<int32_t> order(a.size());
    for (size_t i = 0; i < a.size(); ++i) order[i] = a[i].second;
    return order;
}

inline void naive_replicate(const std::vector<float>& w, int32_t m, std::vector<int32_t>& slot, std::vector<int32_t>& cnt) {
    const int32_t n = int32_t(w.size());
    slot.resize(size_t(m));
    cnt.assign(size_t(n), 1);
    for (int32_t i = 0; i < n; ++i) slot[size_t(i)] = i;
    for (int32_t i = n; i < m; ++i) {
        int32_t best = 0;
        for (int32_t e = 1; e < n; ++e)
            if (w[size_t(e)] / float(cnt[size_t(e)]) > w[size_t(best)] / float(cnt[size_t(best)])) best = e;
        slot[size_t(i)] = best;
        ++cnt[size_t(best)];
    }
}

inline void naive_pack(const std::vector<float>& w, int32_t m, std::vector<int32_t>& pack, std::vector<int32_t>& rank) {
    const int32_t n = int32_t(w.size()), per = n / m;
    pack.assign(size_t(n), -1);
    rank.assign(size_t(n), -1);
    if (per == 1) {
        for (int32_t i = 0; i < n; ++i) pack[size_t(i)] = i, rank[size_t(i)] = 0;
        return;
    }
    const std::vector<int32_t> order = literal_introsort(w);
    std::vector<float> load(size_t(m), 0.0f);
    std::vector<int32_t> items(size_t(m), 0);
    for (int32_t i : order) {
        int32_t best = -1;
        for (int32_t p = 0; p < m; ++p)
            if (items[size_t(p)] < per && (best < 0 || load[size_t(p)] < load[size_t(best)])) best = p;
        pack[size_t(i)] = best;
        rank[size_t(i)] = items[size_t(best)]++;
        load[size_t(best)] += w[size_t(i)];
    }
}

// SPEC section 3 literally, from the literal steps above: groups onto nodes, then per node
// replication and packing of the replicas (load / count) in the reference's order.
inline std::vector<int32_t> literal_deepseek(const std::vector<float>& w, int32_t R, int32_t groups, int32_t nodes, int32_t gpus) {
    const int32_t E = int32_t(w.size()), gsize = E / groups, gpn = groups / nodes, epn = E / nodes;
    const int32_t spn = R / nodes, gpus_pn = gpus / nodes, spg = R / gpus;
    std::vector<float> gw(static_cast<size_t>(groups), 0.0f);
    for (int32_t g = 0; g < groups; ++g) {
        double s = 0;
        for (int32_t j = 0; j < gsize; ++j) s += double(w[size_t(g * gsize + j)]);
        gw[size_t(g)] = float(s);
    }
    std::vector<int32_t> gpack, grank, slot, cnt, pack, rank;
    naive_pack(gw, nodes, gpack, grank);
    std::vector<int32_t> mlog2log(static_cast<size_t>(E)), out(static_cast<size_t>(R));
    for (int32_t g = 0; g < groups; ++g)
        for (int32_t j = 0; j < gsize; ++j)
            mlog2log[size_t((gpack[size_t(g)] * gpn + grank[size_t(g)]) * gsize + j)] = g * gsize + j;
    for (int32_t node = 0; node < nodes; ++node) {
        std::vector<float> nw(static_cast<size_t>(epn));
        for (int32_t j = 0; j < epn; ++j) nw[size_t(j)] = w[size_t(mlog2log[size_t(node * epn + j)])];
        naive_replicate(nw, spn, slot, cnt);
        std::vector<float> sw(static_cast<size_t>(spn));
        for (int32_t s = 0; s < spn; ++s) sw[size_t(s)] = nw[size_t(slot[size_t(s)])] / float(cnt[size_t(slot[size_t(s)])]);
        naive_pack(sw, gpus_pn, pack, rank);
        for (int32_t s = 0; s < spn; ++s)
            out[size_t(node * spn + pack[size_t(s)] * spg + rank[size_t(s)])] =
                mlog2log[size_t(node * epn + slot[size_t(s)])];
    }
    return out;
}

}  // namespace eplb::oracle

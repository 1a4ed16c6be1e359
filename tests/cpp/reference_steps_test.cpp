// The fast paths of the reference's two steps (top-k and heap replication; ring and heap packing)
// against literal transcriptions of SPEC section 3, on random inputs of every size class,
// including ties and zeros.
#include <numeric>

#include "pack.hpp"
#include "reference_sort.hpp"
#include "replicate.hpp"
#include "test_util.hpp"

namespace eplb::test {
namespace {

void naive_replicate(const std::vector<float>& w, int32_t m, std::vector<int32_t>& slot, std::vector<int32_t>& cnt) {
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

void naive_pack(const std::vector<float>& w, int32_t m, std::vector<int32_t>& pack, std::vector<int32_t>& rank) {
    const int32_t n = int32_t(w.size()), per = n / m;
    pack.assign(size_t(n), -1);
    rank.assign(size_t(n), -1);
    if (per == 1) {
        for (int32_t i = 0; i < n; ++i) pack[size_t(i)] = i, rank[size_t(i)] = 0;
        return;
    }
    std::vector<int32_t> order;
    std::vector<uint64_t> scratch;
    detail::order_descending(w.data(), n, nullptr, order, scratch);  // checked against PyTorch below
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

std::vector<float> random_weights(std::mt19937& rng, int32_t n, int kind) {
    std::lognormal_distribution<float> pop(0.0f, 1.5f);
    std::uniform_int_distribution<int> small(0, 5);
    std::vector<float> w(static_cast<size_t>(n));
    for (auto& v : w) v = kind == 0 ? std::floor(pop(rng) * 1000) : kind == 1 ? float(small(rng)) : 0.0f;
    return w;
}

TEST(ReferenceSteps, ReplicateMatchesTheLiteralRule) {
    std::mt19937 rng(99);
    detail::Replicator fast;
    for (int32_t n : {1, 2, 7, 64, 128, 300})
        for (int32_t extra : {0, 1, 8, 63, 64, 65, 200, 700})
            for (int kind : {0, 1, 2}) {
                const auto w = random_weights(rng, n, kind);
                std::vector<int32_t> want_slot, want_cnt, slot(static_cast<size_t>(n + extra)), cnt(static_cast<size_t>(n));
                naive_replicate(w, n + extra, want_slot, want_cnt);
                fast.replicate(w.data(), n, n + extra, slot.data(), cnt.data());
                ASSERT_EQ(slot, want_slot) << "n=" << n << " extra=" << extra << " kind=" << kind;
                ASSERT_EQ(cnt, want_cnt);
            }
}

TEST(ReferenceSteps, PackMatchesTheLiteralRule) {
    std::mt19937 rng(7);
    detail::BalancedPacker fast;
    for (int32_t m : {1, 2, 3, 8, 16, 17, 32, 64, 65, 100, 256})
        for (int32_t per : {1, 2, 9, 16})
            for (int kind : {0, 1, 2}) {
                const int32_t n = m * per;
                const auto w = random_weights(rng, n, kind);
                std::vector<int32_t> want_pack, want_rank, pack(static_cast<size_t>(n)), rank(static_cast<size_t>(n));
                naive_pack(w, m, want_pack, want_rank);
                fast.pack(w.data(), n, m, pack.data(), rank.data());
                ASSERT_EQ(pack, want_pack) << "m=" << m << " per=" << per << " kind=" << kind;
                ASSERT_EQ(rank, want_rank);
            }
}

TEST(ReferenceSteps, InterchangeableItemsPackAsTheReferenceOrder) {
    // Items of one class (replicas of one expert) share a weight; packing with the classes
    // given must fill every slot with the same class as packing in the reference's order.
    std::mt19937 rng(11);
    detail::BalancedPacker fast, slow;
    for (int32_t m : {4, 8, 16, 32})
        for (int32_t per : {2, 9})
            for (int ties : {0, 1}) {
                const int32_t n = m * per;
                std::vector<int32_t> cls(static_cast<size_t>(n));
                std::vector<float> w(static_cast<size_t>(n));
                std::uniform_int_distribution<int> pick(0, n / 2), val(1, ties ? 4 : 1000000);
                std::vector<float> class_w(static_cast<size_t>(n));
                for (auto& v : class_w) v = float(val(rng));
                for (int32_t i = 0; i < n; ++i) cls[size_t(i)] = pick(rng), w[size_t(i)] = class_w[size_t(cls[size_t(i)])];
                std::vector<int32_t> p1(w.size()), r1(w.size()), p2(w.size()), r2(w.size());
                fast.pack(w.data(), n, m, p1.data(), r1.data(), cls.data());
                slow.pack(w.data(), n, m, p2.data(), r2.data());
                std::vector<int32_t> slots1(w.size()), slots2(w.size());
                for (int32_t i = 0; i < n; ++i) {
                    slots1[size_t(p1[size_t(i)] * per + r1[size_t(i)])] = cls[size_t(i)];
                    slots2[size_t(p2[size_t(i)] * per + r2[size_t(i)])] = cls[size_t(i)];
                }
                EXPECT_EQ(slots1, slots2) << "m=" << m << " per=" << per << " ties=" << ties;
            }
}

TEST(ReferenceSteps, SortOrderOfTiesMatchesPyTorch) {
    // Permutations recorded from PyTorch's CPU sort by scripts/torch-sort-ties.py.
    const auto doc = nlohmann::json::parse(slurp(std::string(EPLB_TEST_DATA) + "/torch-sort-ties.json"));
    ASSERT_GE(doc["cases"].size(), 30u);
    for (const auto& c : doc["cases"]) {
        const auto w = c["weight"].get<std::vector<float>>();
        const auto want = c["order"].get<std::vector<int32_t>>();
        std::vector<uint64_t> scratch(w.size());
        std::vector<int32_t> order(w.size());
        detail::reference_order_descending(w.data(), int32_t(w.size()), scratch.data(), order.data());
        EXPECT_EQ(order, want) << "n=" << w.size();
    }
}

}  // namespace
}  // namespace eplb::test

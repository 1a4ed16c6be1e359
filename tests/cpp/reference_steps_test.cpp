// The fast paths of the reference's two steps (top-k and heap replication; ring and heap packing)
// against literal transcriptions of SPEC section 3, on random inputs of every size class,
// including ties and zeros.
#include <functional>
#include <numeric>

#include "eplb/rebalance.hpp"
#include "reference/packer.hpp"
#include "reference/pack_tournament.hpp"
#include "reference/reference_sort.hpp"
#include "reference/replicate.hpp"
#include "test_util.hpp"
#include "../oracle/literal_deepseek.hpp"

namespace eplb::test {
namespace {

using oracle::literal_deepseek;
using oracle::literal_introsort;
using oracle::naive_pack;
using oracle::naive_replicate;




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
    detail::DeepSeekPacker fast;
    for (int32_t m : {1, 2, 3, 8, 16, 17, 32, 64, 65, 100, 128, 129, 256, 257, 300})
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

TEST(ReferenceSteps, SortOrderOfTiesMatchesPyTorch) {
    // Permutations recorded from PyTorch's CPU sort by scripts/torch-sort-ties.py.
    const auto doc = nlohmann::json::parse(slurp(std::string(EPLB_TEST_DATA) + "/torch-sort-ties.json"));
    ASSERT_GE(doc["cases"].size(), 30u);
    for (const auto& c : doc["cases"]) {
        const auto w = c["weight"].get<std::vector<float>>();
        const auto want = c["order"].get<std::vector<int32_t>>();
        std::vector<uint64_t> scratch;
        std::vector<int32_t> stops, order(w.size());
        detail::reference_order_descending(w.data(), int32_t(w.size()), scratch, stops, order.data());
        EXPECT_EQ(order, want) << "n=" << w.size();
        EXPECT_EQ(literal_introsort(w), want) << "n=" << w.size();
    }
}

TEST(ReferenceSteps, SortOrderOfTiesMatchesTheIntrosortStepForStep) {
    // The partition computed from lists of stops and the per-range final sort against the
    // introsort written out plainly, on sizes around every threshold, with heavy ties.
    std::mt19937 rng(5);
    std::vector<uint64_t> scratch;
    std::vector<int32_t> stops;
    for (int32_t n : {0, 1, 2, 3, 15, 16, 17, 18, 31, 32, 33, 64, 100, 255, 256, 257, 1000, 4096})
        for (int32_t distinct : {1, 2, 3, 8, 50, 1000000}) {
            std::uniform_int_distribution<int32_t> value(0, distinct - 1);
            for (int rep = 0; rep < 4; ++rep) {
                std::vector<float> w(static_cast<size_t>(n));
                for (auto& v : w) v = float(value(rng));
                if (rep == 1) std::sort(w.begin(), w.end());
                if (rep == 2) std::sort(w.rbegin(), w.rend());
                std::vector<int32_t> order(w.size());
                detail::reference_order_descending(w.data(), n, scratch, stops, order.data());
                ASSERT_EQ(order, literal_introsort(w)) << "n=" << n << " distinct=" << distinct << " rep=" << rep;
            }
        }
}

TEST(ReferenceSteps, KeySortsMatchStdSort) {
    // sort_distinct_keys (rank counts, n <= 64, distinct high halves) and sort_keys (merges)
    // against std::sort; with a tie in the high halves sort_distinct_keys declines and leaves
    // the keys as they were.
    std::mt19937 rng(17);
    for (int32_t n : {1, 2, 3, 4, 5, 15, 16, 17, 31, 33, 61, 63, 64, 65, 100, 300})
        for (int32_t range : {3, 1000, 1 << 30})
            for (int rep = 0; rep < 6; ++rep) {
                std::uniform_int_distribution<uint32_t> high(0, uint32_t(range)), any;
                std::vector<uint64_t> keys(static_cast<size_t>(n));
                for (int32_t i = 0; i < n; ++i) keys[size_t(i)] = (uint64_t(rep == 5 ? any(rng) : high(rng)) << 32) | uint32_t(i);
                std::vector<uint64_t> want = keys, merged = keys, ranked = keys, tmp(keys.size());
                std::sort(want.begin(), want.end());
                detail::sort_keys(merged.data(), tmp.data(), n);
                EXPECT_EQ(merged, want) << "n=" << n;
                bool distinct = true;
                for (int32_t i = 1; i < n; ++i) distinct &= want[size_t(i)] >> 32 != want[size_t(i - 1)] >> 32;
                const bool sorted = detail::sort_distinct_keys(ranked.data(), n);
                EXPECT_EQ(sorted, distinct && n <= 64) << "n=" << n << " range=" << range;
                EXPECT_EQ(ranked, sorted ? want : keys) << "n=" << n << " range=" << range;
            }
}

TEST(ReferenceSteps, TournamentRootIsTheLightestPack) {
    // Random updates (loads with ties and zeros, packs filling up) against a scan of all packs.
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> small(0, 3), coin(0, 4);
    std::lognormal_distribution<float> pop(0.0f, 2.0f);
    detail::PackTournament<8> t;
    for (int32_t m : {1, 2, 3, 5, 8, 9, 16, 31, 64, 65, 129, 256}) {
        std::uniform_int_distribution<int32_t> any(0, m - 1);
        std::vector<uint64_t> keys(static_cast<size_t>(m));
        for (int32_t p = 0; p < m; ++p) keys[size_t(p)] = detail::PackTournament<8>::key(0.0f, p);
        uint64_t root = t.reset(m, 1);
        for (int step = 0; step < 3000; ++step) {
            ASSERT_EQ(root, *std::min_element(keys.begin(), keys.end())) << "m=" << m << " step " << step;
            const int32_t p = any(rng);
            const int c = coin(rng);
            const float load = c == 0 ? float(small(rng)) : c == 1 ? -0.0f : pop(rng);
            keys[size_t(p)] = c == 4 && step % 5 ? detail::PackTournament<8>::kFull : detail::PackTournament<8>::key(load, p);
            root = t.update(p, keys[size_t(p)]);
        }
    }
}


TEST(ReferenceSteps, DeepSeekMatchesTheLiteralSteps) {
    // Topologies that take every path of the node step: one sort with a merge (few extra slots),
    // the literal steps (ties between experts, one slot per GPU, many extra slots); packing two
    // nodes at a time (an odd node count leaves one alone) and by a heap (over 256 GPUs a node).
    struct Case { int32_t E, R, groups, nodes, gpus; };
    const Case cases[] = {{256, 288, 8, 4, 32}, {256, 288, 8, 1, 32}, {256, 320, 8, 1, 64}, {64, 80, 4, 2, 8},
                          {32, 36, 4, 4, 4},    {256, 256, 8, 4, 32}, {48, 96, 4, 2, 16},  {128, 192, 8, 2, 16},
                          {60, 72, 6, 3, 12},   {16, 32, 2, 2, 32},    {200, 400, 4, 2, 200}, {72, 108, 6, 3, 27},
                          {40, 80, 4, 1, 40},     {300, 600, 3, 1, 300}};
    std::mt19937 rng(2024);
    for (const Case& c : cases)
        for (int kind : {0, 0, 1, 2, 3}) {
            std::vector<float> w = random_weights(rng, c.E, kind == 3 ? 1 : kind);
            if (kind == 3)  // -0 loads, which equal +0
                for (size_t i = 0; i < w.size(); i += 3) w[i] = -0.0f;
            auto weights = xt::xtensor<double, 2>::from_shape({1, size_t(c.E)});
            for (int32_t e = 0; e < c.E; ++e) weights(0, size_t(e)) = double(w[size_t(e)]);
            Options o;
            o.algorithm = "deepseek";
            const auto got = rebalance_phy2log(weights, {c.R, c.groups, c.nodes, c.gpus}, o);
            const std::vector<int32_t> have(got.begin(), got.end());
            EXPECT_EQ(have, literal_deepseek(w, c.R, c.groups, c.nodes, c.gpus))
                << "E=" << c.E << " R=" << c.R << " groups=" << c.groups << " nodes=" << c.nodes << " gpus=" << c.gpus
                << " kind=" << kind;
        }
}

}  // namespace
}  // namespace eplb::test

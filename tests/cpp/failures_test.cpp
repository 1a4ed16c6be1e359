// Failed GPUs (docs/failures.md): -1 slots, live-GPU measures, every policy, the elasticity-aware
// reference, recovery from a placement in service, the placement file, and the mistakes.
#include <algorithm>

#include "test_util.hpp"

namespace eplb::test {
namespace {

const Topology kV3{288, 8, 4, 32};

std::string message_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const InvalidInput& e) {
        return e.what();
    }
    return "(no error)";
}

// Every slot of a failed GPU is -1 in every layer, no other slot is, and the rest is a valid
// placement whose logcnt and log2phy count the live slots.
void expect_failed_valid(const Placement& p, const xt::xtensor<double, 2>& w, const Topology& t,
                         std::vector<int64_t> failed) {
    std::sort(failed.begin(), failed.end());
    EXPECT_EQ(failed_gpus(p), failed);
    EXPECT_NO_THROW(check_placement(p));
    const int64_t L = int64_t(w.shape(0)), E = int64_t(w.shape(1)), R = t.replicas, S = R / t.gpus;
    for (int64_t l = 0; l < L; ++l) {
        std::vector<int32_t> seen(size_t(E), 0);
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = p.phy2log(size_t(l), size_t(s));
            const bool dead = std::binary_search(failed.begin(), failed.end(), s / S);
            if (dead) {
                ASSERT_EQ(e, -1) << "layer " << l << " slot " << s;
                continue;
            }
            ASSERT_GE(e, 0);
            ASSERT_LT(e, E);
            ++seen[size_t(e)];
        }
        for (int64_t e = 0; e < E; ++e) {
            EXPECT_GE(seen[size_t(e)], 1) << "layer " << l << ": expert " << e << " has no live replica";
            EXPECT_EQ(p.logcnt(size_t(l), size_t(e)), seen[size_t(e)]);
        }
    }
}

// Balancedness over the live GPUs, computed here from phy2log (SPEC 4 on the live GPUs).
double live_balancedness(const Placement& p, const xt::xtensor<double, 2>& w, const Topology& t) {
    const int64_t L = int64_t(w.shape(0)), E = int64_t(w.shape(1)), R = t.replicas, S = R / t.gpus;
    double mean = 0, top = 0;
    for (int64_t l = 0; l < L; ++l) {
        std::vector<int32_t> cnt(size_t(E), 0);
        for (int64_t s = 0; s < R; ++s)
            if (p.phy2log(size_t(l), size_t(s)) >= 0) ++cnt[size_t(p.phy2log(size_t(l), size_t(s)))];
        std::vector<double> gpu(size_t(t.gpus), 0.0);
        std::vector<char> live(size_t(t.gpus), 0);
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = p.phy2log(size_t(l), size_t(s));
            if (e < 0) continue;
            live[size_t(s / S)] = 1;
            gpu[size_t(s / S)] += w(size_t(l), size_t(e)) / cnt[size_t(e)];
        }
        double sum = 0, mx = 0;
        int64_t n = 0;
        for (int64_t g = 0; g < t.gpus; ++g)
            if (live[size_t(g)]) sum += gpu[size_t(g)], mx = std::max(mx, gpu[size_t(g)]), ++n;
        mean += sum / double(n), top += mx;
    }
    return mean / top;
}

int64_t moved_live(const Placement& now, const Placement& before) {
    int64_t m = 0;
    for (size_t i = 0; i < now.phy2log.size(); ++i)
        m += now.phy2log.data()[i] >= 0 && now.phy2log.data()[i] != before.phy2log.data()[i];
    return m;
}

TEST(Failures, EveryAlgorithmPlacesOnTheLiveGpus) {
    std::mt19937 rng(3);
    const auto w = random_loads(rng, 4, 256);
    for (const std::string& name : algorithms())
        for (const std::vector<int64_t>& failed : {std::vector<int64_t>{5}, std::vector<int64_t>{20, 5}, std::vector<int64_t>{0, 31}}) {
            Options o;
            o.algorithm = name;
            o.failed_gpus = failed;
            SCOPED_TRACE(name);
            expect_failed_valid(rebalance(w, kV3, o), w, kV3, failed);
        }
}

// The reference for failures (SGLang's elasticity-aware EPLB): DeepSeek's global policy on the
// live GPUs alone, then the failed GPUs' slots inserted. `deepseek` is exactly that.
TEST(Failures, DeepseekIsTheElasticityAwareReference) {
    std::mt19937 rng(11);
    const auto w = random_loads(rng, 5, 256);
    const std::vector<int64_t> failed{5, 20};
    Options o;
    o.algorithm = "deepseek";
    o.failed_gpus = failed;
    const Placement p = rebalance(w, kV3, o);  // auto: global, as the reference falls back
    Options ref;
    ref.algorithm = "deepseek";
    const Placement live = rebalance(w, {9 * 30, 1, 1, 30}, ref);
    for (size_t l = 0; l < w.shape(0); ++l)
        for (int64_t g = 0, k = 0; g < 32; ++g) {
            if (g == 5 || g == 20) continue;
            for (int64_t j = 0; j < 9; ++j) EXPECT_EQ(p.phy2log(l, size_t(g * 9 + j)), live.phy2log(l, size_t(k * 9 + j)));
            ++k;
        }
}

TEST(Failures, DefaultGlobalIsAtLeastTheReferenceOnRealLoads) {
    const auto files = real_files();
    for (size_t f = 0; f < files.size(); f += 5) {
        const auto w = real_loads(files[f]);
        for (const std::vector<int64_t>& failed : {std::vector<int64_t>{5}, std::vector<int64_t>{5, 20}}) {
            Options o;
            o.policy = Policy::global;
            o.failed_gpus = failed;
            Options ref = o;
            ref.algorithm = "deepseek";
            const double mine = evaluate(rebalance(w, kV3, o), w).balancedness_gpu;
            const double theirs = evaluate(rebalance(w, kV3, ref), w).balancedness_gpu;
            EXPECT_GE(mine, theirs) << files[f];
        }
    }
}

TEST(Failures, EvaluateMeasuresTheLiveGpus) {
    // 2 GPUs of 2 slots, GPU 1 failed: experts 0 and 1 (loads 3, 1) on GPU 0.
    const xt::xtensor<int32_t, 2> phy2log = {{0, 1, -1, -1}};
    const xt::xtensor<double, 2> w = {{3, 1}};
    const Evaluation ev = evaluate(phy2log, w, {4, 1, 1, 2});
    EXPECT_EQ(ev.failed_gpus, std::vector<int64_t>{1});
    EXPECT_DOUBLE_EQ(ev.balancedness_gpu, 1.0);      // one live GPU: mean = max = 4
    EXPECT_DOUBLE_EQ(ev.balancedness_replica, 2.0 / 3);  // mean 4 / 2 live slots, max 3
    EXPECT_DOUBLE_EQ(ev.gpu_loads(0, 1), 0.0);
    const xt::xtensor<int32_t, 2> before = {{0, 1, 0, 1}};
    const Evaluation moved = evaluate(phy2log, w, {4, 1, 1, 2}, &before);
    EXPECT_EQ(*moved.moved_slots, 0);  // dead slots need no copy
    // Compared with the same placement on both GPUs, the measures agree with live_balancedness.
    std::mt19937 rng(5);
    const auto w2 = random_loads(rng, 3, 256);
    Options o;
    o.failed_gpus = {7, 8, 9};
    const Placement p = rebalance(w2, kV3, o);
    EXPECT_NEAR(evaluate(p, w2).balancedness_gpu, live_balancedness(p, w2, kV3), 1e-12);
}

TEST(Failures, MinusOneSlotsMustBeWholeFailedGpus) {
    const Topology t{4, 1, 1, 2};
    xt::xtensor<int32_t, 2> half = {{0, 1, 1, -1}};
    EXPECT_NE(message_of([&] { placement_from_phy2log(half, 2, t); }).find("every slot of GPU 1"), std::string::npos);
    xt::xtensor<int32_t, 2> layers = {{0, 1, -1, -1}, {0, 1, 0, 1}};
    EXPECT_NE(message_of([&] { placement_from_phy2log(layers, 2, t); }).find("in every layer"), std::string::npos);
    xt::xtensor<int32_t, 2> all = {{-1, -1, -1, -1}};
    EXPECT_NE(message_of([&] { placement_from_phy2log(all, 2, t); }).find("every GPU is failed"), std::string::npos);
    xt::xtensor<int32_t, 2> other = {{0, 1, -2, 1}};
    EXPECT_NE(message_of([&] { placement_from_phy2log(other, 2, t); }).find("is not an expert index"), std::string::npos);
}

TEST(Failures, PlacementFileRoundTrip) {
    std::mt19937 rng(9);
    const auto w = random_loads(rng, 3, 256);
    Options o;
    o.failed_gpus = {3, 17};
    const Placement p = rebalance(w, kV3, o);
    const std::string text = placement_to_json(p);
    EXPECT_NE(text.find("\"failed_gpus\":[3,17]"), std::string::npos);
    const Placement q = placement_from_json(text);
    EXPECT_EQ(q.phy2log, p.phy2log);
    EXPECT_EQ(q.logcnt, p.logcnt);
    EXPECT_EQ(q.log2phy, p.log2phy);
    EXPECT_EQ(failed_gpus(q), (std::vector<int64_t>{3, 17}));
    std::string wrong = text;
    wrong.replace(wrong.find("[3,17]"), 6, "[3,18]");
    EXPECT_NE(message_of([&] { placement_from_json(wrong); }).find("failed_gpus disagrees"), std::string::npos);
}

TEST(Failures, MistakesAreNamed) {
    std::mt19937 rng(1);
    const auto w = random_loads(rng, 2, 256);
    auto fails = [&](std::vector<int64_t> failed, Policy policy = Policy::automatic, std::string algorithm = "default") {
        Options o;
        o.failed_gpus = std::move(failed);
        o.policy = policy;
        o.algorithm = algorithm;
        return message_of([&] { rebalance(w, kV3, o); });
    };
    EXPECT_NE(fails({32}).find("failed GPU 32 is not a GPU index in [0, 32)"), std::string::npos);
    EXPECT_NE(fails({-1}).find("failed GPU -1 is not a GPU index"), std::string::npos);
    EXPECT_NE(fails({4, 4}).find("failed GPU 4 is listed twice"), std::string::npos);
    std::vector<int64_t> all(32), most(28);
    std::iota(all.begin(), all.end(), 0);
    std::iota(most.begin(), most.end(), 4);
    EXPECT_NE(fails(all).find("every GPU (32 of 32) is failed"), std::string::npos);
    EXPECT_NE(fails(most).find("the 4 live GPUs hold 36 slots, fewer than the 256 experts"), std::string::npos);
    // Node 0 keeps 63 slots for its 2 groups of 32 experts, and no other node has room for a third.
    EXPECT_NE(fails({5}, Policy::hierarchical).find("node 0: 63 live slots, room for 1 group"), std::string::npos);
    EXPECT_NE(fails({5, 20}, Policy::hierarchical).find("node 2: 63 live slots"), std::string::npos);
    EXPECT_NE(fails({5}, Policy::hierarchical, "deepseek").find("only on nodes of equal sizes"), std::string::npos);
}

TEST(Failures, HierarchicalWhereTheNodesStillHoldTheirGroups) {
    // 10 slots per GPU: a node of 7 live GPUs (70 slots) still holds 2 groups of 32 experts.
    const Topology t{320, 8, 4, 32};
    std::mt19937 rng(4);
    const auto w = random_loads(rng, 4, 256);
    for (const std::string& name : {"default", "sainte-lague"}) {
        Options o;
        o.algorithm = name;
        o.policy = Policy::hierarchical;
        o.failed_gpus = {5, 13};
        const Placement p = rebalance(w, t, o);
        expect_failed_valid(p, w, t, o.failed_gpus);
        EXPECT_DOUBLE_EQ(evaluate(p, w).home_node_fraction, 1.0);
    }
    // Both failed GPUs on node 0: 60 slots for its 64 experts, and no other node has room.
    Options o;
    o.policy = Policy::hierarchical;
    o.failed_gpus = {5, 6};
    EXPECT_THROW(rebalance(w, t, o), InvalidInput);
    // A whole node down: the groups go to the nodes left, in unequal numbers (8 on 3 nodes of
    // 96 slots).
    const Topology roomy{384, 8, 4, 32};
    o.failed_gpus = {0, 1, 2, 3, 4, 5, 6, 7};
    const Placement p = rebalance(w, roomy, o);
    expect_failed_valid(p, w, roomy, o.failed_gpus);
    EXPECT_DOUBLE_EQ(evaluate(p, w).home_node_fraction, 1.0);
}

TEST(Failures, HybridKeepsMostLoadAtHome) {
    const auto files = real_files();
    for (size_t f = 0; f < files.size(); f += 4) {
        const auto w = real_loads(files[f]);
        for (const std::vector<int64_t>& failed : {std::vector<int64_t>{5}, std::vector<int64_t>{5, 20}}) {
            Options o;
            o.policy = Policy::hybrid;
            o.failed_gpus = failed;
            const Placement p = rebalance(w, kV3, o);
            expect_failed_valid(p, w, kV3, failed);
            EXPECT_GE(evaluate(p, w).home_node_fraction, 0.85) << files[f];
        }
    }
}

// With the placement in service before the failure: the slots on live GPUs mostly keep their
// experts, every expert gets a live replica, and the balance comes near the fresh placement's.
TEST(Failures, RecoveryMovesFewSlots) {
    const auto files = real_files();
    for (size_t f = 0; f < files.size(); f += 6) {
        const auto w = real_loads(files[f]);
        Options g;
        g.policy = Policy::global;
        const Placement before = rebalance(w, kV3, g);
        for (const std::vector<int64_t>& failed : {std::vector<int64_t>{5}, std::vector<int64_t>{5, 20}}) {
            Options o = g;
            o.failed_gpus = failed;
            Options ref = o;
            ref.algorithm = "deepseek";
            const Placement reference = rebalance(w, kV3, ref);
            o.previous = &before;
            const Placement after = rebalance(w, kV3, o);
            expect_failed_valid(after, w, kV3, failed);
            EXPECT_LE(moved_live(after, before), moved_live(reference, before) / 5) << files[f];
            EXPECT_GE(evaluate(after, w).balancedness_gpu, evaluate(reference, w).balancedness_gpu - 0.01) << files[f];
            EXPECT_EQ(*evaluate(after, w, &before).moved_slots, moved_live(after, before));
            // A GPU that comes back: its slots are filled, the others mostly kept.
            Options back = g;
            back.failed_gpus = {failed.begin(), failed.end() - 1};
            back.previous = &after;
            const Placement healed = rebalance(w, kV3, back);
            expect_failed_valid(healed, w, kV3, back.failed_gpus);
            EXPECT_LE(moved_live(healed, after), int64_t(w.shape(0)) * kV3.replicas / 5) << files[f];
        }
    }
}

TEST(Failures, RecoveryForEveryPolicyIsValid) {
    std::mt19937 rng(8);
    const Topology t{320, 8, 4, 32};
    const auto w = random_loads(rng, 3, 256);
    for (Policy policy : {Policy::hierarchical, Policy::hybrid, Policy::global}) {
        Options o;
        o.policy = policy;
        const Placement before = rebalance(w, t, o);
        o.failed_gpus = {9};
        o.previous = &before;
        const Placement after = rebalance(w, t, o);
        expect_failed_valid(after, w, t, o.failed_gpus);
        if (policy == Policy::hierarchical) EXPECT_DOUBLE_EQ(evaluate(after, w).home_node_fraction, 1.0);
        EXPECT_LT(moved_live(after, before), int64_t(w.shape(0)) * 320 / 4) << policy_name(policy);
        o.max_moves = 0;  // the mend makes no move; experts that lost their only replica still get one
        const Placement kept = rebalance(w, t, o);
        expect_failed_valid(kept, w, t, o.failed_gpus);
    }
}

TEST(Failures, HistoryPathPlacesOnTheLiveGpus) {
    std::mt19937 rng(6);
    const LoadHistory history{random_loads(rng, 3, 256), random_loads(rng, 3, 256), random_loads(rng, 3, 256)};
    const auto sum = history_sum(history);
    for (Policy policy : {Policy::global, Policy::hybrid}) {
        Options o;
        o.policy = policy;
        o.failed_gpus = {2, 30};
        expect_failed_valid(rebalance(history, kV3, o), sum, kV3, o.failed_gpus);
    }
    Options o;
    o.algorithm = "deepseek";
    o.failed_gpus = {2, 30};
    EXPECT_EQ(rebalance(history, kV3, o).phy2log, rebalance(sum, kV3, o).phy2log);  // deepseek: the sum
}

}  // namespace
}  // namespace eplb::test

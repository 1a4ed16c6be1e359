// The SPEC section 4 measures, checked against hand computations.
#include "test_util.hpp"

namespace eplb::test {
namespace {

TEST(Evaluate, HandComputedExample) {
    // 1 layer, 4 experts, 6 slots on 3 GPUs in 1 node; expert 0 has 2 replicas, expert 1 has 2.
    const xt::xtensor<double, 2> w = {{8, 4, 2, 2}};
    const xt::xtensor<int32_t, 2> p2l = {{0, 1, 0, 2, 1, 3}};
    const Evaluation ev = evaluate(p2l, w, {6, 1, 1, 3});
    // replica loads: 4 2 | 4 2 | 2 2 -> GPU loads 6 6 4, mean 16/3, max 6
    EXPECT_DOUBLE_EQ(ev.gpu_loads(0, 0), 6);
    EXPECT_DOUBLE_EQ(ev.gpu_loads(0, 2), 4);
    EXPECT_DOUBLE_EQ(ev.balancedness_gpu, (16.0 / 3) / 6);
    EXPECT_DOUBLE_EQ(ev.balancedness_replica, (16.0 / 6) / 4);
    // T* with 6 slots: 8/3 (0 gets 3 replicas) vs 8/2=4,4/1..: greedy gives max(8/3, 4/2... ) = 8/3? check: counts 3,1,1,1 -> max 4;
    // counts 2,2,1,1 -> max 4; so T* = 4 and LB = max(16/3, 4) = 16/3.
    EXPECT_DOUBLE_EQ(min_max_replica_load(w.data(), 4, 6), 4);
    EXPECT_DOUBLE_EQ(ev.upper_bound, 1.0);
    EXPECT_DOUBLE_EQ(ev.gap_to_bound, 1.0 - ev.balancedness_gpu);
    EXPECT_DOUBLE_EQ(ev.max_gpu_load, 6);
    EXPECT_FALSE(ev.moved_slots.has_value());
}

TEST(Evaluate, MovedSlotsAndHomeNode) {
    const xt::xtensor<double, 2> w = {{1, 1, 1, 1}, {5, 1, 1, 1}};
    // 2 groups of 2 experts, 2 nodes of one GPU, 2 slots each. Layer 1 puts expert 0 (group 0) on node 1.
    const xt::xtensor<int32_t, 2> a = {{0, 1, 2, 3}, {0, 1, 2, 3}};
    const xt::xtensor<int32_t, 2> b = {{0, 1, 2, 3}, {2, 1, 0, 3}};
    const Evaluation ev = evaluate(b, w, {4, 2, 2, 2}, &a);
    ASSERT_TRUE(ev.moved_slots.has_value());
    EXPECT_EQ(*ev.moved_slots, 2);
    EXPECT_EQ(ev.layer_moved_slots(1), 2);
    // layer 1: group 0 served 5 on node 1 and 1 on node 0 -> home 5; group 1: 1 on each node -> 1.
    EXPECT_DOUBLE_EQ(ev.home_node_fraction, (4.0 + 5 + 1) / 12);
}

TEST(Evaluate, AllZeroLoadsScoreOne) {
    const xt::xtensor<double, 2> w = xt::zeros<double>({size_t(2), size_t(4)});
    const Placement p = rebalance(w, {4, 1, 1, 2});
    const Evaluation ev = evaluate(p, w);
    EXPECT_EQ(ev.balancedness_gpu, 1.0);
    EXPECT_EQ(ev.upper_bound, 1.0);
}

TEST(Evaluate, RealLoadsBoundHolds) {
    for (const auto& path : real_files()) {
        const auto w = real_loads(path);
        Options o;
        o.algorithm = "deepseek";
        const Evaluation ev = evaluate(rebalance(w, {288, 8, 4, 32}, o), w);
        EXPECT_GT(ev.balancedness_gpu, 0.7);
        EXPECT_LE(ev.balancedness_gpu, ev.upper_bound);
        EXPECT_DOUBLE_EQ(ev.home_node_fraction, 1.0);  // strict hierarchy keeps every group home
        for (size_t l = 0; l < w.shape(0); ++l) EXPECT_LE(ev.layer_balancedness_gpu(l), ev.layer_upper_bound(l) + 1e-12);
    }
}

TEST(Evaluate, RejectsInconsistentPlacements) {
    const xt::xtensor<double, 2> w = {{1, 2, 3, 4}};
    EXPECT_THROW(evaluate(xt::xtensor<int32_t, 2>{{0, 1, 2, 2}}, w, {4, 1, 1, 2}), InvalidInput);  // expert 3 missing
    EXPECT_THROW(evaluate(xt::xtensor<int32_t, 2>{{0, 1, 2, 7}}, w, {4, 1, 1, 2}), InvalidInput);  // no expert 7
    EXPECT_THROW(evaluate(xt::xtensor<int32_t, 2>{{0, 1, 2, 3}}, w, {4, 1, 1, 3}), InvalidInput);  // 4 slots, 3 GPUs
    EXPECT_THROW(evaluate(xt::xtensor<int32_t, 2>{{0, 1, 2, 3}, {0, 1, 2, 3}}, w, {4, 1, 1, 2}), InvalidInput);
    const xt::xtensor<int32_t, 2> prev = {{0, 1, 2, 3, 0, 1}};
    EXPECT_THROW(evaluate(xt::xtensor<int32_t, 2>{{0, 1, 2, 3}}, w, {4, 1, 1, 2}, &prev), InvalidInput);
}

}  // namespace
}  // namespace eplb::test

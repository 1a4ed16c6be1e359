// Rebalancing over time: predictors, history windows, and the migration-aware
// incremental placement (Options::previous, max_moves, tolerance).
#include <algorithm>
#include <cmath>

#include <xtensor/xview.hpp>

#include "rebalancing/assignment.hpp"  // detail::max_weight_assignment
#include "rebalancing/incremental_tuning.hpp"  // detail::kKeepTolerance
#include "test_util.hpp"

namespace eplb::test {
namespace {

xt::xtensor<double, 2> mat(std::initializer_list<std::initializer_list<double>> rows) {
    xt::xtensor<double, 2> m = xt::zeros<double>({rows.size(), rows.begin()->size()});
    size_t i = 0;
    for (const auto& r : rows) {
        size_t j = 0;
        for (double v : r) m(i, j++) = v;
        ++i;
    }
    return m;
}

int64_t moved(const Placement& a, const Placement& b, int64_t layer = -1) {
    int64_t n = 0;
    for (int64_t l = 0; l < a.layers(); ++l) {
        if (layer >= 0 && l != layer) continue;
        for (int64_t s = 0; s < a.replicas(); ++s) n += a.phy2log(size_t(l), size_t(s)) != b.phy2log(size_t(l), size_t(s));
    }
    return n;
}

// A drifted copy of w: every load times exp(N(0, sigma)), and a few experts turned hot.
xt::xtensor<double, 2> drift(const xt::xtensor<double, 2>& w, std::mt19937& rng, double sigma = 0.1, double hot = 0.01) {
    std::normal_distribution<double> z(0, sigma);
    std::uniform_real_distribution<double> u(0, 1);
    xt::xtensor<double, 2> out = w;
    for (auto& v : out) v = std::round(v * std::exp(z(rng)) * (u(rng) < hot ? 3.3 : 1.0));
    return out;
}

const Topology kV3{288, 8, 4, 32};
const Topology kOneNode{288, 8, 1, 32};
const Topology kSmallHier{40, 4, 2, 8};  // 32 experts
const Topology kGlobal{48, 3, 2, 12};    // groups % nodes != 0: global policy, 24 experts

// ---------------------------------------------------------------- predictors and windows

TEST(Predictors, SumIsTheWindowTotal) {
    const auto p = predict_loads({mat({{1, 2}, {3, 4}}), mat({{5, 6}, {7, 8}})}, Predictor{"sum"});
    EXPECT_EQ(p, mat({{6, 8}, {10, 12}}));
}

TEST(Predictors, EmaWeighsTheNewestStepAndScalesToTheWindow) {
    Predictor ema{"ema", 0.5};
    // e0 = 4, e1 = 0.5 * 8 + 0.5 * 4 = 6, e2 = 0.5 * 0 + 0.5 * 6 = 3; times 3 steps = 9.
    const auto p = predict_loads({mat({{4}}), mat({{8}}), mat({{0}})}, ema);
    EXPECT_DOUBLE_EQ(p(0, 0), 9.0);
    ema.alpha = 1;  // only the newest step, times the number of steps
    EXPECT_DOUBLE_EQ(predict_loads({mat({{4}}), mat({{8}}), mat({{2}})}, ema)(0, 0), 6.0);
}

TEST(Predictors, RobustFavoursExpertsThatSwing) {
    // Expert 0 steady at 10, expert 1 alternates 0 / 20 (same mean, std 10). Spread 1:
    // raw 10 and 20, rescaled so the layer keeps its total of 40: 40/3 and 80/3.
    Predictor robust{"robust", 0.5, 1.0};
    const auto p = predict_loads({mat({{10, 0}}), mat({{10, 20}})}, robust);
    EXPECT_NEAR(p(0, 0), 40.0 / 3, 1e-9);
    EXPECT_NEAR(p(0, 1), 80.0 / 3, 1e-9);
    robust.spread = 0;  // the plain window sum
    EXPECT_EQ(predict_loads({mat({{10, 0}}), mat({{10, 20}})}, robust), mat({{20, 20}}));
    // An all-zero layer stays zero.
    EXPECT_EQ(predict_loads({mat({{0, 0}}), mat({{0, 0}})}, Predictor{"robust"}), mat({{0, 0}}));
}

TEST(Predictors, RejectBadInput) {
    EXPECT_THROW(predict_loads({}, Predictor{}), InvalidInput);
    EXPECT_THROW(predict_loads({mat({{1, 2}}), mat({{1, 2, 3}})}, Predictor{}), InvalidInput);
    EXPECT_THROW(predict_loads({mat({{1}})}, Predictor{"median"}), InvalidInput);
    EXPECT_THROW(predict_loads({mat({{1}})}, Predictor{"ema", 0.0}), InvalidInput);
    EXPECT_THROW(predict_loads({mat({{1}})}, Predictor{"robust", 0.5, -1}), InvalidInput);
    EXPECT_EQ(predictors(), (std::vector<std::string>{"sum", "ema", "robust"}));
}

TEST(HistoryWindows, SplitsStepsIntoWindows) {
    const std::string h = R"({"load_history": [[[1, 0]], [[2, 0]], [[3, 1]], [[4, 1]], [[5, 2]]]})";
    const auto ws = read_history_windows(h, 2);
    ASSERT_EQ(ws.size(), 3u);  // 2 + 2 + a last window of 1 step
    EXPECT_EQ(ws[0], mat({{3, 0}}));
    EXPECT_EQ(ws[1], mat({{7, 2}}));
    EXPECT_EQ(ws[2], mat({{5, 2}}));
    EXPECT_THROW(read_history_windows(h, 0), InvalidInput);
    EXPECT_THROW(split_windows({}, 2), InvalidInput);
}

TEST(HistoryWindows, ReadsFilesInOrder) {
    const auto files = real_files();
    ASSERT_GE(files.size(), 2u);
    ReadOptions o;
    o.drop_dense_layers = true;
    const auto ws = read_window_files({files[1], files[0]}, o);
    ASSERT_EQ(ws.size(), 2u);
    EXPECT_EQ(ws[0], real_loads(files[1]));
    EXPECT_EQ(ws[1], real_loads(files[0]));
    EXPECT_THROW(read_window_files({}), InvalidInput);
}

// ---------------------------------------------------------------- incremental placement

struct Case {
    Topology topo;
    int64_t experts;
    Policy policy;
};

std::vector<Case> cases() {
    return {{kV3, 256, Policy::automatic},       {kOneNode, 256, Policy::automatic}, {kSmallHier, 32, Policy::automatic},
            {kGlobal, 24, Policy::automatic},    {kSmallHier, 32, Policy::global},   {kV3, 256, Policy::hybrid},
            {{16, 2, 2, 4}, 16, Policy::automatic},  // no spare slots: R == E
            {{64, 4, 2, 4}, 8, Policy::global}};     // many slots per GPU: duplicates unavoidable
}

TEST(Incremental, ValidOnRandomDriftingInputs) {
    std::mt19937 rng(8);
    for (const Case& c : cases()) {
        Options o;
        o.policy = c.policy;
        SCOPED_TRACE("R" + std::to_string(c.topo.replicas) + " E" + std::to_string(c.experts) + " " + policy_name(c.policy));
        auto w = random_loads(rng, 6, c.experts);
        Placement prev = rebalance(w, c.topo, o);
        for (int step = 0; step < 4; ++step) {
            w = drift(w, rng, 0.3, 0.05);
            Options inc = o;
            inc.previous = &prev;
            Placement next = rebalance(w, c.topo, inc);
            expect_valid(next, w, c.topo, c.policy);
            prev = next;
        }
    }
}

TEST(Incremental, PreviousThatIsAlreadyBestMovesNothing) {
    std::mt19937 rng(1);
    for (const Case& c : cases()) {
        Options o;
        o.policy = c.policy;
        SCOPED_TRACE("R" + std::to_string(c.topo.replicas) + " E" + std::to_string(c.experts) + " " + policy_name(c.policy));
        const auto w = random_loads(rng, 5, c.experts);
        const Placement best = rebalance(w, c.topo, o);
        Options inc = o;
        inc.previous = &best;
        const Evaluation before = evaluate(best, w);
        // The default mode keeps every layer whose busiest GPU is within kKeepTolerance of that of
        // the reference's placement for the same loads; no other layer gets a busier GPU.
        if (c.policy != Policy::hybrid) {
            Options ds = o;
            ds.algorithm = "deepseek";
            const Evaluation ref = evaluate(rebalance(w, c.topo, ds), w);
            const Evaluation after = evaluate(rebalance(w, c.topo, inc), w, &best);
            for (size_t l = 0; l < w.shape(0); ++l) {
                if (before.layer_max_gpu_load(l) <= ref.layer_max_gpu_load(l) * (1 + detail::kKeepTolerance))
                    EXPECT_EQ(after.layer_moved_slots(l), 0) << "layer " << l;
                else
                    EXPECT_LE(after.layer_max_gpu_load(l), before.layer_max_gpu_load(l) * (1 + 1e-12)) << "layer " << l;
            }
        } else {
            EXPECT_EQ(moved(rebalance(w, c.topo, inc), best), 0);
        }
        inc.tolerance = 0;
        EXPECT_EQ(moved(rebalance(w, c.topo, inc), best), 0);
    }
}

TEST(Incremental, ThePlacementOfTheReferenceInServiceMovesNothing) {
    std::mt19937 rng(11);
    for (const Case& c : cases()) {
        if (c.policy == Policy::hybrid) continue;  // DeepSeek has no hybrid policy
        Options ds;
        ds.algorithm = "deepseek";
        ds.policy = c.policy;
        SCOPED_TRACE("R" + std::to_string(c.topo.replicas) + " E" + std::to_string(c.experts) + " " + policy_name(c.policy));
        const auto w = random_loads(rng, 5, c.experts);
        const Placement ref = rebalance(w, c.topo, ds);
        Options inc;
        inc.policy = c.policy;
        inc.previous = &ref;
        EXPECT_EQ(moved(rebalance(w, c.topo, inc), ref), 0);
    }
}

TEST(Incremental, KeepsMostSlotsUnderSmallDrift) {
    std::mt19937 rng(2);
    auto w = random_loads(rng, 20, 256, 0);
    const Placement prev = rebalance(w, kV3);
    const Placement fresh_ref = rebalance(drift(w, rng), kV3, Options{"deepseek"});
    w = drift(w, rng);
    Options inc;
    inc.previous = &prev;
    const Placement next = rebalance(w, kV3, inc);
    expect_valid(next, w, kV3);
    const Evaluation ev = evaluate(next, w, &prev);
    ASSERT_TRUE(ev.moved_slots.has_value());
    EXPECT_EQ(*ev.moved_slots, moved(next, prev));
    EXPECT_LT(*ev.moved_slots, moved(fresh_ref, prev) / 2);
}

// Default mode over a drifting series at the DeepSeek-V3 shape: a small fraction of the slots
// DeepSeek's fresh placement moves, balance on the window placed for better than not moving and
// near a fresh placement's, the policy kept at every step.
TEST(Incremental, DefaultModeMovesFewSlotsOverASeries) {
    std::mt19937 rng(21);
    auto w = random_loads(rng, 12, 256, 0);
    Placement prev = rebalance(w, kV3), prev_ref = rebalance(w, kV3, Options{"deepseek"});
    int64_t moves = 0, moves_ref = 0;
    for (int step = 0; step < 5; ++step) {
        w = drift(w, rng, 0.1, 0.004);
        Options inc;
        inc.previous = &prev;
        const Placement next = rebalance(w, kV3, inc);
        const Placement ref = rebalance(w, kV3, Options{"deepseek"});
        expect_valid(next, w, kV3, Policy::hierarchical);
        moves += moved(next, prev);
        moves_ref += moved(ref, prev_ref);
        // Never worse than leaving the placement in service, not far from a fresh placement (the
        // default mode balances for the next window, not exactly for this one).
        const double now = evaluate(next, w).balancedness_gpu;
        EXPECT_GE(now, evaluate(prev, w).balancedness_gpu);
        EXPECT_GE(now, 0.95 * evaluate(rebalance(w, kV3), w).balancedness_gpu);
        prev = next;
        prev_ref = ref;
    }
    EXPECT_LT(double(moves), 0.2 * double(moves_ref));
}

// Node of each group in one layer of a hierarchical placement at the V3 shape (32 experts per
// group, 72 slots per node).
std::vector<int64_t> group_nodes(const Placement& p, int64_t layer) {
    std::vector<int64_t> node(8, -1);
    for (int64_t s = 0; s < 288; ++s) node[size_t(p.phy2log(size_t(layer), size_t(s)) / 32)] = s / 72;
    return node;
}

// Default mode: small drift leaves the group-to-node map alone; a node made much heavier than the
// others gets a new map, with a lighter busiest node.
TEST(Incremental, DefaultModeRepairsTheGroupMapOnlyWhenItPays) {
    std::mt19937 rng(23);
    const auto w0 = random_loads(rng, 6, 256, 0);
    const Placement prev = rebalance(w0, kV3);
    Options inc;
    inc.previous = &prev;
    const auto small = drift(w0, rng, 0.01, 0.0);
    const Placement same = rebalance(small, kV3, inc);
    expect_valid(same, small, kV3, Policy::hierarchical);
    for (int64_t l = 0; l < 6; ++l) EXPECT_EQ(group_nodes(same, l), group_nodes(prev, l)) << "layer " << l;
    EXPECT_LT(moved(same, prev), 6 * 288 / 10);
    // Node 0's experts 40% heavier.
    auto heavy = w0;
    for (int64_t l = 0; l < 6; ++l)
        for (int64_t e = 0; e < 256; ++e)
            if (group_nodes(prev, l)[size_t(e / 32)] == 0) heavy(size_t(l), size_t(e)) *= 1.4;
    const Placement next = rebalance(heavy, kV3, inc);
    expect_valid(next, heavy, kV3, Policy::hierarchical);
    auto node_max = [&](const Placement& p, int64_t l) {
        std::vector<double> load(4, 0.0);
        for (int64_t e = 0; e < 256; ++e) load[size_t(group_nodes(p, l)[size_t(e / 32)])] += heavy(size_t(l), size_t(e));
        return *std::max_element(load.begin(), load.end());
    };
    for (int64_t l = 0; l < 6; ++l) {
        EXPECT_NE(group_nodes(next, l), group_nodes(prev, l)) << "layer " << l;
        EXPECT_LT(node_max(next, l), node_max(prev, l)) << "layer " << l;
    }
}

TEST(Incremental, MoveBudgetIsRespected) {
    std::mt19937 rng(3);
    for (const Case& c : cases()) {
        Options o;
        o.policy = c.policy;
        auto w = random_loads(rng, 6, c.experts);
        const Placement prev = rebalance(w, c.topo, o);
        w = drift(w, rng, 0.5, 0.1);
        for (int64_t budget : {0, 1, 3, 10}) {
            Options inc = o;
            inc.previous = &prev;
            inc.max_moves = budget;
            const Placement next = rebalance(w, c.topo, inc);
            expect_valid(next, w, c.topo, c.policy);
            for (int64_t l = 0; l < next.layers(); ++l) EXPECT_LE(moved(next, prev, l), budget) << "layer " << l;
            if (budget == 0) EXPECT_EQ(moved(next, prev), 0);
        }
    }
}

TEST(Incremental, ABudgetBalancesBetterThanNoMoves) {
    std::mt19937 rng(4);
    auto w = random_loads(rng, 10, 256, 0);
    const Placement prev = rebalance(w, kV3);
    w = drift(w, rng, 0.3, 0.05);
    Options inc;
    inc.previous = &prev;
    inc.max_moves = 0;
    const double none = evaluate(rebalance(w, kV3, inc), w).balancedness_gpu;
    inc.max_moves = 32;
    EXPECT_GT(evaluate(rebalance(w, kV3, inc), w).balancedness_gpu, none);
}

TEST(Incremental, ToleranceIsRespectedPerLayer) {
    std::mt19937 rng(5);
    for (const Case& c : cases()) {
        Options o;
        o.policy = c.policy;
        auto w = random_loads(rng, 6, c.experts);
        const Placement prev = rebalance(w, c.topo, o);
        w = drift(w, rng, 0.3, 0.05);
        const Evaluation fresh = evaluate(rebalance(w, c.topo, o), w);
        for (double tol : {0.0, 0.005, 0.05}) {
            Options inc = o;
            inc.previous = &prev;
            inc.tolerance = tol;
            const Evaluation ev = evaluate(rebalance(w, c.topo, inc), w);
            for (size_t l = 0; l < ev.layer_max_gpu_load.size(); ++l)
                EXPECT_LE(ev.layer_max_gpu_load(l), fresh.layer_max_gpu_load(l) * (1 + tol) * (1 + 1e-9) + 1e-9)
                    << "layer " << l << " tolerance " << tol;
        }
    }
}

TEST(Incremental, WorksWithEveryAlgorithm) {
    std::mt19937 rng(7);
    auto w = random_loads(rng, 4, 256);
    for (const std::string& name : algorithms()) {
        Options o;
        o.algorithm = name;
        const Placement prev = rebalance(w, kV3, o);
        Options inc = o;
        inc.previous = &prev;
        const auto w2 = drift(w, rng);
        const Placement next = rebalance(w2, kV3, inc);
        expect_valid(next, w2, kV3);
        EXPECT_EQ(next.algorithm, name);
    }
}

TEST(Incremental, PreviousBreakingThePolicyIsRepairedByAFreshPlacement) {
    std::mt19937 rng(9);
    const auto w = random_loads(rng, 4, 256);
    Options global;
    global.policy = Policy::global;
    const Placement prev = rebalance(w, kV3, global);  // groups spread over nodes
    Options inc;
    inc.previous = &prev;
    const Placement next = rebalance(w, kV3, inc);
    expect_valid(next, w, kV3, Policy::hierarchical);
    inc.max_moves = 0;  // no budget to get back to whole groups per node
    EXPECT_THROW(rebalance(w, kV3, inc), InvalidInput);
}

TEST(Incremental, BadPreviousIsInvalidInput) {
    std::mt19937 rng(10);
    const auto w = random_loads(rng, 3, 32);
    const Placement good = rebalance(w, kSmallHier);
    Options inc;
    // Wrong shape: other layer count, other slot count, other expert count.
    const xt::xtensor<double, 2> two_layers = xt::view(w, xt::range(0, 2), xt::all());
    const Placement fewer_layers = rebalance(two_layers, kSmallHier);
    inc.previous = &fewer_layers;
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
    const Placement other_slots = rebalance(w, Topology{48, 4, 2, 8});
    inc.previous = &other_slots;
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
    // An expert index out of range, and negative.
    Placement bad = good;
    bad.phy2log(1, 3) = 32;
    inc.previous = &bad;
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
    bad.phy2log(1, 3) = -1;
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
    // An expert without a slot.
    Placement missing = good;
    const int32_t e = missing.phy2log(0, 0);
    for (int64_t s = 0; s < missing.replicas(); ++s)
        if (missing.phy2log(0, size_t(s)) == e) missing.phy2log(0, size_t(s)) = e == 0 ? 1 : 0;
    inc.previous = &missing;
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
    // Bad budget and tolerance.
    inc.previous = &good;
    inc.max_moves = -2;
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
    inc.max_moves = -1;
    inc.tolerance = 1.5;
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
    inc.tolerance = std::nan("");
    EXPECT_THROW(rebalance(w, kSmallHier, inc), InvalidInput);
}

TEST(Incremental, AllZeroLayerKeepsThePrevious) {
    std::mt19937 rng(11);
    auto w = random_loads(rng, 3, 32);
    const Placement prev = rebalance(w, kSmallHier);
    xt::view(w, 1, xt::all()) = 0.0;
    Options inc;
    inc.previous = &prev;
    const Placement next = rebalance(w, kSmallHier, inc);
    expect_valid(next, w, kSmallHier);
    EXPECT_EQ(moved(next, prev, 1), 0);
}

TEST(Incremental, AssignmentIsOptimalOnSmallMatrices) {
    // Brute force over all permutations of 5.
    std::mt19937 rng(12);
    std::uniform_int_distribution<int> d(0, 9);
    for (int trial = 0; trial < 20; ++trial) {
        const int n = 5;
        std::vector<int64_t> wgt(size_t(n * n));
        for (auto& v : wgt) v = d(rng);
        std::vector<int32_t> assign;
        detail::max_weight_assignment(wgt, n, assign);
        int64_t got = 0;
        for (int i = 0; i < n; ++i) got += wgt[size_t(i * n + assign[size_t(i)])];
        std::vector<int> perm{0, 1, 2, 3, 4};
        int64_t best = 0;
        do {
            int64_t s = 0;
            for (int i = 0; i < n; ++i) s += wgt[size_t(i * n + perm[size_t(i)])];
            best = std::max(best, s);
        } while (std::next_permutation(perm.begin(), perm.end()));
        EXPECT_EQ(got, best);
    }
}

}  // namespace
}  // namespace eplb::test

// A load history as the input of rebalance and evaluate: the windows' sum, the checks on
// windows, and load_history files cut into windows.
#include "test_util.hpp"

namespace eplb::test {
namespace {

LoadHistory two_windows(std::mt19937& rng, int64_t L = 4, int64_t E = 32) {
    return {random_loads(rng, L, E), random_loads(rng, L, E)};
}

TEST(History, DeepseekPlacesTheSum) {
    std::mt19937 rng(5);
    const auto h = two_windows(rng);
    Options o;
    o.algorithm = "deepseek";
    for (const Topology t : {Topology{48, 4, 2, 8}, Topology{40, 4, 1, 8}}) {
        const Placement a = rebalance(h, t, o);
        const Placement b = rebalance(xt::xtensor<double, 2>(h[0] + h[1]), t, o);
        EXPECT_EQ(a.phy2log, b.phy2log);
    }
}

TEST(History, OneWindowIsTheMatrix) {
    std::mt19937 rng(6);
    const auto w = random_loads(rng, 4, 32);
    for (const std::string& name : algorithms()) {
        Options o;
        o.algorithm = name;
        EXPECT_EQ(rebalance(LoadHistory{w}, {48, 4, 2, 8}, o).phy2log, rebalance(w, {48, 4, 2, 8}, o).phy2log) << name;
    }
}

TEST(History, EveryAlgorithmAndPolicyGivesAValidPlacement) {
    std::mt19937 rng(7);
    const auto h = two_windows(rng, 6, 64);
    const xt::xtensor<double, 2> sum = h[0] + h[1];
    for (const std::string& name : algorithms())
        for (Policy policy : {Policy::automatic, Policy::global, Policy::hierarchical, Policy::hybrid}) {
            Options o;
            o.algorithm = name;
            o.policy = policy;
            const Topology t{80, 8, 2, 16};
            if (policy == Policy::hybrid && name == "deepseek") continue;
            const Placement p = rebalance(h, t, o);
            expect_valid(p, sum, t, policy);
        }
}

TEST(History, PointerFormReadsWindowsEndToEnd) {
    std::mt19937 rng(8);
    const auto h = two_windows(rng);
    std::vector<double> flat(h[0].begin(), h[0].end());
    flat.insert(flat.end(), h[1].begin(), h[1].end());
    const Topology t{48, 4, 2, 8};
    EXPECT_EQ(rebalance_phy2log(flat.data(), 2, 4, 32, t), rebalance_phy2log(h, t));
}

TEST(History, BadHistoriesAreInvalidInput) {
    std::mt19937 rng(9);
    const Topology t{48, 4, 2, 8};
    EXPECT_THROW(rebalance(LoadHistory{}, t), InvalidInput);
    LoadHistory shapes{random_loads(rng, 4, 32), random_loads(rng, 3, 32)};
    try {
        rebalance(shapes, t);
        FAIL() << "windows of two shapes were accepted";
    } catch (const InvalidInput& e) {
        EXPECT_NE(std::string(e.what()).find("window 1"), std::string::npos) << e.what();
    }
    LoadHistory nan = two_windows(rng);
    nan[1](2, 3) = std::nan("");
    try {
        rebalance(nan, t);
        FAIL() << "a NaN in window 1 was accepted";
    } catch (const InvalidInput& e) {
        EXPECT_NE(std::string(e.what()).find("window 1"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
    }
    LoadHistory big = two_windows(rng);
    big[0](0, 0) = big[1](0, 0) = 0.9e30;
    EXPECT_THROW(rebalance(big, t), LimitExceeded);  // each window within the limit, their sum not
    std::vector<double> one(4 * 32, 1.0);
    EXPECT_THROW(rebalance_phy2log(one.data(), 0, 4, 32, t), InvalidInput);
    EXPECT_THROW(rebalance_phy2log(one.data(), limits::max_windows + 1, 4, 32, t), LimitExceeded);
}

TEST(History, EvaluateMeasuresTheSum) {
    std::mt19937 rng(10);
    const auto h = two_windows(rng);
    const Topology t{48, 4, 2, 8};
    const Placement p = rebalance(h, t);
    const Evaluation a = evaluate(p, h), b = evaluate(p, xt::xtensor<double, 2>(h[0] + h[1]));
    EXPECT_EQ(a.balancedness_gpu, b.balancedness_gpu);
    EXPECT_EQ(a.gpu_loads, b.gpu_loads);
    const xt::xtensor<double, 2> sum = h[0] + h[1];
    EXPECT_EQ(history_sum(h), sum);
}

TEST(History, LoadHistoryFileCutIntoWindows) {
    // 5 steps of a 2-layer file whose first layer is dense: windows of 2 steps are 2 + 2 + 1.
    nlohmann::json steps = nlohmann::json::array();
    for (int s = 0; s < 5; ++s) steps.push_back({{"logical_expert_load", {{0, 0, 0, 0}, {s, 1, 2, 3 * s}}}});
    const std::string text = nlohmann::json{{"load_history", steps}}.dump();
    ReadOptions o;
    o.steps_per_window = 2;
    o.drop_dense_layers = true;
    const LoadFile f = read_loads(text, o);
    ASSERT_EQ(f.windows.size(), 3u);
    EXPECT_EQ(f.kept_layers, std::vector<int64_t>({1}));
    const xt::xtensor<double, 2> first{{1, 2, 4, 3}}, last{{4, 1, 2, 12}};
    EXPECT_EQ(f.windows[0], first);
    EXPECT_EQ(f.windows[2], last);
    EXPECT_EQ(f.weights, history_sum(f.windows));
    o.window_begin = 1;
    o.window_end = 4;
    EXPECT_EQ(read_loads(text, o).windows.size(), 2u);  // steps 1, 2 | 3
}

TEST(History, WindowsOfAFileThatIsNoHistoryAreInvalid) {
    ReadOptions o;
    o.steps_per_window = 2;
    EXPECT_THROW(read_loads("[[1, 2], [3, 4]]", o), InvalidInput);
    ReadOptions r;
    r.window_end = 1;
    EXPECT_THROW(read_loads("{\"weight\": [[1, 2]]}", r), InvalidInput);
}

}  // namespace
}  // namespace eplb::test

// Bad input to rebalance gets eplb::InvalidInput with a message that names the rule and values.
#include <algorithm>
#include <limits>

#include "test_util.hpp"

namespace eplb::test {
namespace {

xt::xtensor<double, 2> ok_weights(size_t L = 2, size_t E = 4) {
    auto w = xt::xtensor<double, 2>::from_shape({L, E});
    for (size_t i = 0; i < w.size(); ++i) w.data()[i] = double(i + 1);
    return w;
}

template <class Fn>
void expect_message(Fn fn, const std::string& message) {
    try {
        fn();
        ADD_FAILURE() << "no error; expected: " << message;
    } catch (const InvalidInput& e) {
        EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
}

TEST(Validation, TopologyRulesOfTheSpec) {
    const auto w = ok_weights(2, 256);
    expect_message([&] { rebalance(w, {250, 8, 5, 10}); }, "num_replicas (250) must be >= number of experts (256)");
    expect_message([&] { rebalance(ok_weights(), {4, 3, 1, 2}); }, "number of experts (4) must be divisible by num_groups (3)");
    expect_message([&] { rebalance(ok_weights(), {6, 1, 1, 4}); }, "num_replicas (6) must be divisible by num_gpus (4)");
    expect_message([&] { rebalance(ok_weights(), {6, 2, 2, 3}); }, "num_gpus (3) must be divisible by num_nodes (2)");
    expect_message([&] { rebalance(ok_weights(), {4, 1, 1, 0}); }, "num_gpus (0) must be a positive integer");
    expect_message([&] { rebalance(ok_weights(), {-4, 1, 1, 2}); }, "num_replicas (-4) must be a positive integer");
    expect_message([&] { rebalance(ok_weights(), {4, 0, 1, 2}); }, "num_groups (0)");
    expect_message([&] { rebalance(ok_weights(), {4, 1, -1, 2}); }, "num_nodes (-1)");
}

// policies(algorithm) lists exactly the policies rebalance accepts for that algorithm.
TEST(Validation, PoliciesOfAnAlgorithmAreTheOnesItAccepts) {
    EXPECT_EQ(policies(), (std::vector<std::string>{"auto", "hierarchical", "global", "hybrid"}));
    const auto w = ok_weights(2, 8);
    for (const std::string& name : algorithms()) {
        const auto listed = policies(name);
        ASSERT_GE(listed.size(), 3u) << name;
        EXPECT_EQ(listed[0], "auto") << name;
        for (const std::string& policy : policies()) {
            Options o;
            o.algorithm = name;
            o.policy = parse_policy(policy);
            const bool ok = std::find(listed.begin(), listed.end(), policy) != listed.end();
            if (ok) EXPECT_NO_THROW(rebalance(w, {8, 2, 2, 4}, o)) << name << " " << policy;
            else expect_message([&] { rebalance(w, {8, 2, 2, 4}, o); }, "does not support policy '" + policy + "'");
        }
    }
    const auto deepseek = policies("deepseek");
    EXPECT_EQ(std::count(deepseek.begin(), deepseek.end(), "hybrid"), 0);
    expect_message([] { policies("nosuch"); }, "unknown algorithm 'nosuch'");
}

TEST(Validation, AlgorithmInfoNamesEveryAlgorithmWithASummary) {
    const auto info = algorithm_info();
    ASSERT_EQ(info.size(), algorithms().size());
    for (size_t i = 0; i < info.size(); ++i) {
        EXPECT_EQ(info[i].name, algorithms()[i]);
        EXPECT_FALSE(info[i].summary.empty()) << info[i].name;
    }
}

TEST(Validation, BadLoadsNameLayerAndExpert) {
    auto w = ok_weights();
    w(1, 2) = std::numeric_limits<double>::quiet_NaN();
    expect_message([&] { rebalance(w, {4, 1, 1, 2}); }, "load of layer 1, expert 2 is NaN");
    w(1, 2) = std::numeric_limits<double>::infinity();
    expect_message([&] { rebalance(w, {4, 1, 1, 2}); }, "load of layer 1, expert 2 is infinite");
    w(1, 2) = -3;
    expect_message([&] { rebalance(w, {4, 1, 1, 2}); }, "load of layer 1, expert 2 is negative");
    w(1, 2) = 1e35;
    expect_message([&] { rebalance(w, {4, 1, 1, 2}); }, "exceeds the limit");
    // Values as JavaScript writes them: not "-0.000000", not 300 digits.
    w(1, 2) = -1e-9;
    expect_message([&] { rebalance(w, {4, 1, 1, 2}); }, "load of layer 1, expert 2 is negative (-1e-9)");
    w(1, 2) = 1e300;
    expect_message([&] { rebalance(w, {4, 1, 1, 2}); }, "load of layer 1, expert 2 (1e+300) exceeds the limit of 1e30");
}

TEST(Validation, EmptyMatrices) {
    expect_message([&] { rebalance(xt::xtensor<double, 2>::from_shape({0, 4}), {4, 1, 1, 2}); }, "no layers");
    expect_message([&] { rebalance(xt::xtensor<double, 2>::from_shape({2, 0}), {4, 1, 1, 2}); }, "no experts");
}

TEST(Validation, NegativeSizesThroughThePointerEntry) {
    const double loads[4] = {1, 2, 3, 4};
    expect_message([&] { rebalance_phy2log(loads, -2, 4, {4, 1, 1, 2}); }, "must not be negative");
    expect_message([&] { rebalance_phy2log(loads, 1, -4, {4, 1, 1, 2}); }, "must not be negative");
    EXPECT_EQ(rebalance_phy2log(loads, 1, 4, {4, 1, 1, 2}).size(), 4u);
}

TEST(Validation, SizesBeyondTheLimits) {
    EXPECT_THROW(rebalance(ok_weights(), {int64_t(4000000000), 1, 1, 2}), LimitExceeded);
    EXPECT_THROW(rebalance(ok_weights(), {int64_t(1) << 31, 1, 1, 2}), LimitExceeded);
    EXPECT_THROW(rebalance(ok_weights(), {4, 1, 1, int64_t(1) << 20}), LimitExceeded);
    EXPECT_THROW(rebalance(ok_weights(limits::max_layers + 1, 1), {1, 1, 1, 1}), LimitExceeded);
    // Within each limit, but the placement as a whole is too large.
    EXPECT_THROW(rebalance(ok_weights(4096, 1), {1 << 15, 1, 1, 1}), LimitExceeded);
    EXPECT_THROW(rebalance(ok_weights(2, 4), {(1 << 16) + 4, 1, 1, 4}), LimitExceeded);
    // The work of a call: at most 2^22 slots (layers x replicas), checked before any is placed.
    expect_message([&] { rebalance(ok_weights(65, 2), {1 << 16, 1, 1, 1}); }, "4259840 slots (layers x replicas), beyond the limit of 4194304");
    EXPECT_EQ(rebalance_phy2log(ok_weights(64, 2), {1 << 16, 1, 1, 1}, Options{"deepseek"}).size(), size_t(1) << 22);
}

TEST(Validation, OptionsAreChecked) {
    Options o;
    o.algorithm = "nosuch";
    expect_message([&] { rebalance(ok_weights(), {4, 1, 1, 2}, o); }, "unknown algorithm 'nosuch' (known: default, deepseek");
    Options h;
    h.policy = Policy::hierarchical;
    // 3 groups of 2 experts on 2 nodes of 3 slots: the balanced algorithms give nodes whole groups
    // in unequal numbers, and there is no room for the third; deepseek keeps the reference's rule.
    expect_message([&] { rebalance(ok_weights(2, 6), {6, 3, 2, 2}, h); },
                   "the 3 groups of 2 experts do not fit on the nodes' live GPUs (node 0: 3 live slots, room for 1 group;");
    h.algorithm = "deepseek";
    expect_message([&] { rebalance(ok_weights(2, 6), {6, 3, 2, 2}, h); }, "needs num_groups (3) divisible by num_nodes (2)");
    EXPECT_THROW(parse_policy("sideways"), InvalidInput);
    // A move budget or a tolerance without the placement in service would silently do nothing.
    Options moves;
    moves.max_moves = 3;
    expect_message([&] { rebalance(ok_weights(), {4, 1, 1, 2}, moves); }, "max_moves applies to rebalancing from a previous placement");
    Options tol;
    tol.tolerance = 0.1;
    expect_message([&] { rebalance(ok_weights(), {4, 1, 1, 2}, tol); }, "tolerance applies to rebalancing from a previous placement");
    tol.tolerance = 1.5;
    expect_message([&] { rebalance(ok_weights(), {4, 1, 1, 2}, tol); }, "tolerance (1.5) must be in [0, 1]");
    EXPECT_EQ(parse_policy("hybrid"), Policy::hybrid);
    EXPECT_EQ(policy_name(Policy::global), "global");
}

TEST(Validation, PreviousPlacementMustFit) {
    const Placement prev = rebalance(ok_weights(2, 4), {8, 1, 1, 2});
    Options o;
    o.previous = &prev;
    expect_message([&] { rebalance(ok_weights(3, 4), {8, 1, 1, 2}, o); }, "previous placement is 2 layers x 8 slots");
    expect_message([&] { rebalance(ok_weights(2, 4), {4, 1, 1, 2}, o); }, "previous placement");
}

TEST(Validation, PlacementsFromPhy2log) {
    xt::xtensor<int32_t, 2> p2l = {{0, 1, 2, 3}};
    expect_message([&] { placement_from_phy2log(p2l, 5, {4, 1, 1, 2}); }, "expert 4 of layer 0 has no replica");
    p2l(0, 3) = 9;
    expect_message([&] { placement_from_phy2log(p2l, 4, {4, 1, 1, 2}); }, "phy2log[0][3] = 9 is not an expert index");
}

}  // namespace
}  // namespace eplb::test

// Groups that do not divide the nodes (and nodes of unequal sizes): layout.hpp's limits and
// group maps, the hierarchical policy through NodeSplit, the hybrid policy, deepseek's fallback.
#include <algorithm>
#include <numeric>

#include "layout.hpp"
#include "test_util.hpp"

namespace eplb::test {
namespace {

using detail::LiveGpus;
using detail::NodeLayout;

const Topology kThree{288, 8, 3, 24};

std::vector<int32_t> groups_per_node(const Placement& p, const Topology& t, int64_t layer) {
    const int64_t E = p.experts(), gs = E / t.groups, per_node = t.replicas / t.nodes;
    std::vector<std::set<int64_t>> node_groups(size_t(t.nodes));
    for (int64_t s = 0; s < t.replicas; ++s) node_groups[size_t(s / per_node)].insert(p.phy2log(size_t(layer), size_t(s)) / gs);
    std::vector<int32_t> out;
    for (const auto& g : node_groups) out.push_back(int32_t(g.size()));
    return out;
}

TEST(UnevenGroups, HierarchicalGivesNodesWholeGroupsInUnequalNumbers) {
    const auto files = real_files();
    for (size_t f = 0; f < files.size(); f += 4) {
        const auto w = real_loads(files[f]);
        Options o;
        o.policy = Policy::hierarchical;
        const Placement p = rebalance(w, kThree, o);
        expect_valid(p, w, kThree, Policy::hierarchical);
        EXPECT_DOUBLE_EQ(evaluate(p, w).home_node_fraction, 1.0);
        for (int64_t l = 0; l < p.layers(); ++l) {
            auto counts = groups_per_node(p, kThree, l);
            std::sort(counts.begin(), counts.end());
            EXPECT_EQ(counts, (std::vector<int32_t>{2, 3, 3})) << "layer " << l;  // 96 slots hold 3 groups of 32
        }
    }
}

TEST(UnevenGroups, HybridIsBalancedAndMostlyAtHome) {
    const auto files = real_files();
    double sum = 0;
    int n = 0;
    for (size_t f = 0; f < files.size(); ++f, ++n) {  // the target: the average over the 12 files
        const auto w = real_loads(files[f]);
        Options o;
        o.policy = Policy::hybrid;
        const Placement p = rebalance(w, kThree, o);
        expect_valid(p, w, kThree);
        const Evaluation ev = evaluate(p, w);
        EXPECT_GE(ev.home_node_fraction, 0.85) << files[f];
        sum += ev.balancedness_gpu;
        // Better than the strict hierarchy: extra replicas may leave a full node.
        if (f % 4 == 0) {
            Options h;
            h.policy = Policy::hierarchical;
            EXPECT_GT(ev.balancedness_gpu, evaluate(rebalance(w, kThree, h), w).balancedness_gpu) << files[f];
        }
    }
    EXPECT_GE(sum / n, 0.98);
}

TEST(UnevenGroups, SixGroupsOnFourNodes) {
    std::mt19937 rng(2);
    const Topology t{288, 6, 4, 32};  // 240 experts in groups of 40; 72 slots a node hold one group
    const auto w = random_loads(rng, 4, 240);
    Options o;
    o.policy = Policy::hierarchical;
    EXPECT_THROW(rebalance(w, t, o), InvalidInput);  // 6 groups need room for 2 on some node
    const Topology roomy{384, 6, 4, 32};            // 96 slots a node: 2 groups fit
    const Placement p = rebalance(w, roomy, o);
    expect_valid(p, w, roomy, Policy::hierarchical);
    for (int64_t l = 0; l < p.layers(); ++l) {
        auto counts = groups_per_node(p, roomy, l);
        std::sort(counts.begin(), counts.end());
        EXPECT_EQ(counts, (std::vector<int32_t>{1, 1, 2, 2}));
    }
    o.policy = Policy::hybrid;
    expect_valid(rebalance(w, t, o), w, t);  // hybrid: a node may hold more experts than slots
    expect_valid(rebalance(w, roomy, o), w, roomy);
}

TEST(UnevenGroups, DeepseekKeepsTheReferenceFallback) {
    std::mt19937 rng(3);
    const auto w = random_loads(rng, 3, 256);
    Options o;
    o.algorithm = "deepseek";
    Options g = o;
    g.policy = Policy::global;
    EXPECT_EQ(rebalance(w, kThree, o).phy2log, rebalance(w, kThree, g).phy2log);  // auto: global
    o.policy = Policy::hierarchical;
    EXPECT_THROW(rebalance(w, kThree, o), InvalidInput);
    Options d;  // the default algorithm's auto is the reference's rule too
    Options dg;
    dg.policy = Policy::global;
    EXPECT_EQ(rebalance(w, kThree, d).phy2log, rebalance(w, kThree, dg).phy2log);
}

TEST(UnevenGroups, GroupCapacityAndErrors) {
    const LiveGpus live({288, 8, 4, 32}, {5, 20}, 256);
    const NodeLayout& layout = live.layout();
    EXPECT_EQ(layout.nodes(), 4);
    EXPECT_EQ(layout.gpus_of(0), 7);
    EXPECT_EQ(layout.gpus_of(1), 8);
    EXPECT_EQ(layout.first_slot(1), 63);
    EXPECT_TRUE(live.uneven());
    // Hybrid: a node one group over its room where the groups would not fit otherwise.
    EXPECT_EQ(detail::group_capacity(layout, 8, 32, Policy::hybrid), (std::vector<int32_t>{2, 2, 2, 2}));
    EXPECT_THROW(detail::group_capacity(layout, 8, 32, Policy::hierarchical), InvalidInput);
    EXPECT_THROW(detail::group_capacity(layout, 3, 32, Policy::hybrid), InvalidInput);  // fewer groups than nodes
    // A whole node down leaves 3 nodes of 8 GPUs (96 slots each at 384 slots: room for 3 groups).
    const LiveGpus node_down({384, 8, 4, 32}, {8, 9, 10, 11, 12, 13, 14, 15}, 256);
    EXPECT_EQ(node_down.layout().nodes(), 3);
    EXPECT_EQ(node_down.layout().node_id, (std::vector<int32_t>{0, 2, 3}));
    EXPECT_EQ(detail::group_capacity(node_down.layout(), 8, 32, Policy::hierarchical), (std::vector<int32_t>{3, 3, 3}));
    EXPECT_THROW(LiveGpus({288, 8, 4, 32}, {8, 9, 10, 11, 12, 13, 14, 15}, 256), InvalidInput);  // 216 slots < 256
}

TEST(UnevenGroups, GroupMapBalancesTheLoadPerGpu) {
    // Nodes of 2 and 6 GPUs (4 slots each), at least one group each: per GPU, the small node is
    // best with group 2 alone (8 / 2 = 4 against 21 / 6 = 3.5), not the lightest nor the heaviest.
    NodeLayout layout;
    layout.slots_per_gpu = 4;
    layout.first_gpu = {0, 2, 8};
    layout.node_id = {0, 1};
    const double group_load[4] = {10, 9, 8, 2};
    const int32_t cap[2] = {2, 6};
    int32_t node_of[4];
    detail::LayoutGroups groups;
    groups.assign(group_load, 4, 4, layout, cap, nullptr, node_of);
    EXPECT_EQ(node_of[2], 0);
    EXPECT_EQ(node_of[0], 1);
    EXPECT_EQ(node_of[1], 1);
    EXPECT_EQ(node_of[3], 1);
}

}  // namespace
}  // namespace eplb::test

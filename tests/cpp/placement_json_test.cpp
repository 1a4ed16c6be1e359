// The placement file: written in the SPEC section 2 shape, read back, and checked when read.
#include "test_util.hpp"

namespace eplb::test {
namespace {

TEST(PlacementJson, RoundTrip) {
    const auto w = real_loads(real_files().front());
    const Placement p = rebalance(w, {288, 8, 4, 32});
    const std::string text = placement_to_json(p);
    const auto doc = nlohmann::json::parse(text);
    EXPECT_EQ(doc["num_replicas"], 288);
    EXPECT_EQ(doc["num_groups"], 8);
    EXPECT_EQ(doc["num_nodes"], 4);
    EXPECT_EQ(doc["num_gpus"], 32);
    EXPECT_EQ(doc["phy2log"].size(), 58u);
    EXPECT_EQ(doc["log2phy"][0].size(), 256u);
    const Placement back = placement_from_json(text);
    EXPECT_EQ(back.phy2log, p.phy2log);
    EXPECT_EQ(back.logcnt, p.logcnt);
    EXPECT_EQ(back.log2phy, p.log2phy);
    EXPECT_EQ(back.topology.gpus, 32);
    EXPECT_EQ(back.topology.nodes, 4);
    EXPECT_EQ(back.algorithm, p.algorithm);
}

TEST(PlacementJson, ReadsGoldenFilesAndOtherToolsOutput) {
    for (const auto& path : golden_files()) {
        const Placement p = placement_from_json(slurp(path));  // log2phy in the reference's own order
        EXPECT_NO_THROW(check_placement(p));
    }
    const Placement sg = placement_from_json(R"({"physical_to_logical_map": [[0, 1, 2, 0]]})", {4, 1, 1, 2}, 3);
    EXPECT_EQ(sg.logcnt, (xt::xtensor<int32_t, 2>{{2, 1, 1}}));
    EXPECT_EQ(sg.topology.gpus, 2);
}

TEST(PlacementJson, InconsistentFilesAreRejected) {
    EXPECT_THROW(placement_from_json(R"({"phy2log": [[0, 1, 2, 0]], "logcnt": [[1, 2, 1]]})"), InvalidInput);
    EXPECT_THROW(placement_from_json(R"({"phy2log": [[0, 1, 2, 0]], "num_replicas": 5})"), InvalidInput);
    EXPECT_THROW(placement_from_json(R"({"phy2log": [[0, 1], [0]]})"), InvalidInput);
    EXPECT_THROW(placement_from_json(R"({"phy2log": [[0, 1.5]]})"), InvalidInput);
    EXPECT_THROW(placement_from_json(R"({"logcnt": [[1]]})"), InvalidInput);
    EXPECT_THROW(placement_from_json(R"({"phy2log": [[0, 1, 2, 0]], "log2phy": [[[0], [1], [2]]]})"), InvalidInput);
    EXPECT_THROW(placement_from_json("[1, 2]"), InvalidInput);
}

}  // namespace
}  // namespace eplb::test

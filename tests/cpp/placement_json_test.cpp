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

std::string what_of(const std::string& text) {
    try {
        placement_from_json(text);
    } catch (const InvalidInput& e) {
        return e.what();
    }
    return "no error";
}

TEST(PlacementJson, MessagesNameTheProblem) {
    EXPECT_EQ(what_of(R"({"phy2log": [[0, 1.5]]})"), "phy2log[0][1] is not an integer");
    EXPECT_EQ(what_of(R"({"phy2log": [[0, "1"]]})"), "phy2log[0][1] is not an integer");
    EXPECT_EQ(what_of(R"({"phy2log": [[0, 1], [0]]})"), "phy2log is ragged: row 1 differs in length from row 0");
    EXPECT_EQ(what_of(R"({"phy2log": []})"), "phy2log must be a non-empty array of non-empty arrays");
    EXPECT_EQ(what_of(R"({"phy2log": [[0]], "physical_to_logical_map": [[0]]})"),
              "the placement file has both 'phy2log' and 'physical_to_logical_map'");
    EXPECT_EQ(what_of(R"({"phy2log": [[0, 1]], "num_gpus": "2"})"), "num_gpus must be an integer (got \"2\")");
    EXPECT_EQ(what_of(R"({"phy2log": [[0, 1]], "log2phy": [[[0], [1, "x"]]]})"), "log2phy holds a non-integer");
    EXPECT_EQ(what_of(R"({"phy2log": [[0, 1]], "log2phy": [[[0], [0]]]})"), "log2phy[0][1] disagrees with phy2log");
    EXPECT_EQ(what_of("[1, 2]"), "a placement file must be a JSON object with 'phy2log'");
    EXPECT_EQ(what_of("{\"phy2log\": [[0, 1]"), "malformed JSON in placement file: line 1, column 20: unexpected end of the text; expected ',' or ']'");
}

TEST(PlacementJson, AStreamReadsAsTheText) {
    for (const auto& path : golden_files()) {
        const std::string text = slurp(path);
        size_t at = 0;
        const Placement s = placement_from_json_stream([&](char* buf, size_t cap) {
            const size_t n = std::min({size_t(777), cap, text.size() - at});
            std::copy(text.data() + at, text.data() + at + n, buf);
            at += n;
            return n;
        });
        const Placement p = placement_from_json(text);
        EXPECT_EQ(s.phy2log, p.phy2log);
        EXPECT_EQ(s.log2phy, p.log2phy);
        EXPECT_EQ(s.topology.gpus, p.topology.gpus);
    }
}

}  // namespace
}  // namespace eplb::test

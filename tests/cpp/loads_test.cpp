// The load-file reader: the four SPEC section 5 formats, dense layers, topology keys, bad files.
#include "test_util.hpp"

namespace eplb::test {
namespace {

const char* kMatrix = "[[1, 2, 3, 4], [0, 0, 0, 0], [4.5, 3, 2, 1]]";

TEST(Loads, BareMatrix) {
    const LoadFile f = read_loads(kMatrix);
    EXPECT_EQ(f.format, LoadFormat::matrix);
    EXPECT_EQ(format_name(f.format), "matrix");
    ASSERT_EQ(f.weights.shape(0), 3u);
    ASSERT_EQ(f.weights.shape(1), 4u);
    EXPECT_EQ(f.weights(2, 0), 4.5);
    EXPECT_EQ(f.kept_layers, (std::vector<int64_t>{0, 1, 2}));
}

TEST(Loads, WeightObjectWithTopologyKeys) {
    const LoadFile f = read_loads(R"({"weight": [[1,2,3,4]], "num_replicas": 8, "num_groups": 2, "num_nodes": 1,
                                      "num_gpus": 4, "phy2log": [[0]]})");
    EXPECT_EQ(f.format, LoadFormat::weight);
    EXPECT_EQ(f.replicas, 8);
    EXPECT_EQ(f.groups, 2);
    EXPECT_EQ(f.nodes, 1);
    EXPECT_EQ(f.gpus, 4);
}

TEST(Loads, SGLangDumpDropsDenseLayersOnRequest) {
    ReadOptions o;
    o.drop_dense_layers = true;
    const LoadFile f = read_loads(R"({"logical_count": [[0,0,0],[1,0,2],[0,0,0],[3,3,3]]})", o);
    EXPECT_EQ(f.format, LoadFormat::logical_count);
    EXPECT_EQ(f.file_layers, 4);
    EXPECT_EQ(f.kept_layers, (std::vector<int64_t>{1, 3}));
    ASSERT_EQ(f.weights.shape(0), 2u);
    EXPECT_EQ(f.weights(1, 2), 3.0);
}

TEST(Loads, HistorySumsStepsAndWindows) {
    const std::string h = R"({"load_history": [{"logical_expert_load": [[1,2],[3,4]]},
                                                 {"logical_expert_load": [[10,20],[30,40]]},
                                                 {"logical_expert_load": [[100,200],[300,400]]}]})";
    const LoadFile all = read_loads(h);
    EXPECT_EQ(all.format, LoadFormat::load_history);
    EXPECT_EQ(all.history_steps, 3);
    EXPECT_EQ(all.weights(1, 1), 444.0);
    ReadOptions o;
    o.window_begin = 1;
    o.window_end = 2;
    EXPECT_EQ(read_loads(h, o).weights(0, 1), 20.0);
    o.window_end = 7;
    EXPECT_THROW(read_loads(h, o), InvalidInput);
    EXPECT_EQ(read_load_history(h).size(), 3u);
}

TEST(Loads, AllFormatsOfARealDumpGiveOnePlacement) {
    const std::string dump = slurp(real_files().front());
    const LoadFile sg = read_loads(dump);
    nlohmann::json m = nlohmann::json::parse(dump)["logical_count"];
    nlohmann::json half = m;
    for (auto& row : half)
        for (auto& v : row) v = v.get<double>() / 2;
    const std::string texts[] = {m.dump(), nlohmann::json{{"weight", m}}.dump(),
                                 nlohmann::json{{"load_history", {{{"logical_expert_load", half}}, {{"logical_expert_load", half}}}}}.dump()};
    Options o;
    o.algorithm = "deepseek";
    const Placement want = rebalance(sg.weights, {288, 8, 4, 32}, o);
    for (const auto& t : texts) EXPECT_EQ(rebalance(read_loads(t).weights, {288, 8, 4, 32}, o).phy2log, want.phy2log);
}

TEST(Loads, RealFilesHave61LayersOf256Experts) {
    for (const auto& path : real_files()) {
        const LoadFile f = read_loads_file(path);
        EXPECT_EQ(f.format, LoadFormat::logical_count);
        EXPECT_EQ(f.weights.shape(0), 61u);
        EXPECT_EQ(f.weights.shape(1), 256u);
        EXPECT_EQ(real_loads(path).shape(0), 58u);
    }
}

void expect_error(const std::string& text, const std::string& fragment) {
    try {
        read_loads(text);
        ADD_FAILURE() << "no error for " << text.substr(0, 60);
    } catch (const InvalidInput& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

TEST(Loads, BadFilesNameTheProblem) {
    expect_error("", "empty");
    expect_error("   \n", "empty");
    expect_error(R"({"weight": [[1,2,)", "malformed JSON");
    expect_error("[[1, NaN, 3]]", "malformed JSON");
    expect_error("[[1, 1e400, 3]]", "malformed JSON");
    expect_error("[]", "no layers");
    expect_error("[[]]", "no experts");
    expect_error("[[1,2,3],[1,2]]", "ragged");
    expect_error("[[1,-2,3]]", "negative");
    expect_error(R"([[1,"x",3]])", "layer 0, expert 1 is string");
    expect_error("[[1,null,3]]", "null");
    expect_error("[[1,1e31]]", "limit");
    expect_error("[1,2,3]", "layer 0 is not an array");
    expect_error(R"({"foo": [[1,2]]})", "found keys: foo");
    expect_error("42", "expected a JSON array or object");
    expect_error(R"({"weight": [[1,2]], "num_gpus": 1.5})", "num_gpus must be an integer");
    expect_error(R"({"weight": [[1,2]], "num_gpus": -4})", "num_gpus (-4) must be a positive integer");
    expect_error(R"({"load_history": []})", "non-empty");
    expect_error(R"({"load_history": [{"x": 1}]})", "logical_expert_load");
    expect_error(R"({"load_history": [[[1,2]], [[1,2,3]]]})", "load_history[1]");
    expect_error(std::string(100, '[') + std::string(100, ']'), "nesting");
    ReadOptions drop;
    drop.drop_dense_layers = true;
    EXPECT_THROW(read_loads("[[0,0],[0,0]]", drop), InvalidInput);
    EXPECT_THROW(read_loads_file("/nonexistent/loads.json"), InvalidInput);
}

}  // namespace
}  // namespace eplb::test

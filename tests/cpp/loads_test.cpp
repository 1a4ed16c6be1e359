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
    // Mistakes the tree-building reader let through.
    expect_error(R"({"weight": [[1,2]], "logical_count": [[3,4]]})", "both 'weight' and 'logical_count'");
    expect_error(R"({"load_history": [[[1]]], "weight": [[1]]})", "both 'load_history' and 'weight'");
    expect_error(R"({"weight": [[1,2]], "weight": [[3,4]]})", "'weight' twice");
    expect_error(R"({"weight": [[1,2]], "num_gpus": 2, "num_gpus": 4})", "'num_gpus' twice");
    expect_error(R"({"weight": [[1,2]], "num_gpus": "4"})", "num_gpus must be an integer (got \"4\")");
    expect_error(R"({"weight": [[1,2]], "num_gpus": [4]})", "num_gpus must be an integer (got an array)");
    expect_error(R"({"weight": [[1,2]], "num_gpus": true})", "num_gpus must be an integer (got true)");
    expect_error("[[1, -1e-9]]", "negative (-1e-9)");
    expect_error("[[1, 1e300]]", "(1e+300) exceeds the limit of 1e30");
    expect_error("[[1, [2]]]", "load of layer 0, expert 1 is array, not a number");
    expect_error(R"({"load_history": [{"logical_expert_load": [[1]], "logical_expert_load": [[2]]}]})", "twice");
    expect_error(R"({"load_history": [5]})", "load_history[0] must be an array of layers");
    expect_error(R"({"load_history": {"a": 1}})", "load_history must be a non-empty array");
}

// Reads `text` through read_loads_stream, `chunk` bytes per call of the reader.
LoadFile read_in_chunks(const std::string& text, size_t chunk, const ReadOptions& o = {}) {
    size_t at = 0;
    return read_loads_stream(
        [&](char* buf, size_t cap) {
            const size_t n = std::min({chunk, cap, text.size() - at});
            std::copy(text.data() + at, text.data() + at + n, buf);
            at += n;
            return n;
        },
        o);
}

void expect_same(const LoadFile& a, const LoadFile& b) {
    EXPECT_EQ(a.format, b.format);
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.kept_layers, b.kept_layers);
    EXPECT_EQ(a.file_layers, b.file_layers);
    EXPECT_EQ(a.history_steps, b.history_steps);
    EXPECT_EQ(a.windows, b.windows);
    EXPECT_EQ(a.replicas, b.replicas);
    EXPECT_EQ(a.gpus, b.gpus);
}

TEST(Loads, StreamsGiveWhatTheTextGives) {
    // Keys in any order, unknown keys (nested) skipped, windows, dense layers, topology keys.
    nlohmann::json steps = nlohmann::json::array();
    for (int s = 0; s < 7; ++s)
        steps.push_back({{"t", {{"nested", {1, 2, {{"x", 3}}}}}}, {"logical_expert_load", {{0, 0, 0}, {s, 2.5, 3 * s}}}});
    const std::string history =
        nlohmann::json{{"num_gpus", 4}, {"meta", {{"a", {1, 2}}}}, {"load_history", steps}, {"num_replicas", 8}}.dump(1);
    ReadOptions o;
    o.steps_per_window = 3;
    o.drop_dense_layers = true;
    const LoadFile want = read_loads(history, o);
    EXPECT_EQ(want.windows.size(), 3u);
    EXPECT_EQ(want.history_steps, 7);
    EXPECT_EQ(want.kept_layers, std::vector<int64_t>({1}));
    EXPECT_EQ(want.gpus, 4);
    EXPECT_EQ(want.replicas, 8);
    EXPECT_EQ(want.weights(0, 2), 63.0);
    for (size_t chunk : {1, 2, 5, 64, 100000}) {
        SCOPED_TRACE(chunk);
        expect_same(read_in_chunks(history, chunk, o), want);
    }
    const std::string dump = slurp(real_files().front());
    expect_same(read_in_chunks(dump, 4093), read_loads(dump));
    expect_same(read_loads_file(real_files().front()), read_loads(dump));
    // The same mistakes, found in a stream.
    try {
        read_in_chunks(R"({"load_history": [[[1,2]], [[1,2,3]]]})", 3);
        ADD_FAILURE() << "no error";
    } catch (const InvalidInput& e) {
        EXPECT_STREQ(e.what(), "load_history[1] is 1x3, load_history[0] is 1x2");
    }
    EXPECT_THROW(read_in_chunks("", 1), InvalidInput);
}

TEST(Loads, AHistoryIsReadOneStepAtATime) {
    // A history whose windows would pass the limit on loads is refused as soon as it does, with
    // the numbers; a longer history summed without windows is read whatever its length.
    const int64_t L = 64, E = 256;  // 16384 loads a step
    nlohmann::json step = {{"logical_expert_load", std::vector<std::vector<int>>(size_t(L), std::vector<int>(size_t(E), 1))}};
    const std::string one = step.dump();
    const int64_t n = limits::max_history_cells / (L * E) + 5;
    std::string text = "{\"load_history\": [";
    for (int64_t i = 0; i < n; ++i) text += (i ? "," : "") + one;
    text += "]}";
    const LoadFile sum = read_loads(text);
    EXPECT_EQ(sum.history_steps, n);
    EXPECT_EQ(sum.weights(3, 7), double(n));
    ReadOptions o;
    o.steps_per_window = 1;
    try {
        read_loads(text, o);
        ADD_FAILURE() << "no error";
    } catch (const LimitExceeded& e) {
        EXPECT_NE(std::string(e.what()).find("gives more than 2048 windows of 64 x 256 loads"), std::string::npos) << e.what();
    }
    o.steps_per_window = 2;
    EXPECT_EQ(read_loads(text, o).windows.size(), size_t((n + 1) / 2));
}

TEST(Loads, AMatrixBeyondTheLimitOfLoadsIsRefusedAsItGrows) {
    // 4096 layers of 4097 experts: every size within its own limit, the product beyond.
    std::string row = "[";
    for (int e = 0; e < 4096; ++e) row += "0,";
    row += "0]";
    std::string text = "[";
    for (int l = 0; l < 4096; ++l) text += (l ? "," : "") + row;
    text += "]";
    try {
        read_loads(text);
        ADD_FAILURE() << "no error";
    } catch (const LimitExceeded& e) {
        EXPECT_NE(std::string(e.what()).find("more than 16777216 loads"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace eplb::test

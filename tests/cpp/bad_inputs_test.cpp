// The shared table of bad inputs (tests/data/bad-inputs.json), through the C++ API: each must
// throw eplb::InvalidInput whose message holds the expected fragment.
#include "test_util.hpp"

namespace eplb::test {
namespace {

bool for_cpp(const nlohmann::json& c) {
    if (!c.contains("only")) return true;
    for (const auto& where : c["only"])
        if (where == "cpp") return true;
    return false;
}

TEST(BadInputs, EveryRowOfTheTableGivesItsError) {
    const auto doc = nlohmann::json::parse(slurp(std::string(EPLB_TEST_DATA) + "/bad-inputs.json"));
    ASSERT_GE(doc["cases"].size(), 30u);
    int tried = 0;
    for (const auto& c : doc["cases"]) {
        if (!for_cpp(c)) continue;
        SCOPED_TRACE(c["name"].get<std::string>());
        tried++;
        const auto& t = c["topology"];
        Options o;
        if (c.contains("algorithm")) o.algorithm = c["algorithm"].get<std::string>();
        if (c.contains("policy")) o.policy = parse_policy(c["policy"].get<std::string>());
        if (c.contains("failed")) o.failed_gpus = c["failed"].get<std::vector<int64_t>>();
        ReadOptions r;
        if (c.contains("read")) {
            for (const auto& [key, value] : c["read"].items()) {
                ASSERT_EQ(key, "windowSteps") << "a read option the C++ test does not map";
                r.steps_per_window = value.get<int64_t>();
            }
        }
        if (c.contains("options")) {
            for (const auto& [key, value] : c["options"].items()) {
                if (key == "maxMoves") o.max_moves = value.get<int64_t>();
                else if (key == "tolerance") o.tolerance = value.get<double>();
                else FAIL() << "an option the C++ test does not map: " << key;
            }
        }
        try {
            const LoadFile f = read_loads(c["file"].get<std::string>(), r);
            rebalance(f.weights, {t[0].get<int64_t>(), t[1].get<int64_t>(), t[2].get<int64_t>(), t[3].get<int64_t>()}, o);
            ADD_FAILURE() << "no error";
        } catch (const InvalidInput& e) {
            EXPECT_NE(std::string(e.what()).find(c["expect"].get<std::string>()), std::string::npos) << e.what();
        }
    }
    EXPECT_GE(tried, 30);
}

}  // namespace
}  // namespace eplb::test

// The shared table of bad inputs (tests/data/bad-inputs.json), through the C++ API: each must
// throw eplb::InvalidInput whose message holds the expected fragment.
#include "test_util.hpp"

namespace eplb::test {
namespace {

TEST(BadInputs, EveryRowOfTheTableGivesItsError) {
    const auto doc = nlohmann::json::parse(slurp(std::string(EPLB_TEST_DATA) + "/bad-inputs.json"));
    ASSERT_GE(doc["cases"].size(), 20u);
    for (const auto& c : doc["cases"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const auto& t = c["topology"];
        Options o;
        if (c.contains("algorithm")) o.algorithm = c["algorithm"].get<std::string>();
        if (c.contains("policy")) o.policy = parse_policy(c["policy"].get<std::string>());
        if (c.contains("failed")) o.failed_gpus = c["failed"].get<std::vector<int64_t>>();
        try {
            const LoadFile f = read_loads(c["file"].get<std::string>());
            rebalance(f.weights, {t[0].get<int64_t>(), t[1].get<int64_t>(), t[2].get<int64_t>(), t[3].get<int64_t>()}, o);
            ADD_FAILURE() << "no error";
        } catch (const InvalidInput& e) {
            EXPECT_NE(std::string(e.what()).find(c["expect"].get<std::string>()), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace eplb::test

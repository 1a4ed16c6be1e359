// Parity with DeepSeek's reference outputs (tests/data/golden, see its README).
#include "test_util.hpp"

namespace eplb::test {
namespace {

using nlohmann::json;

xt::xtensor<int32_t, 2> to_int_matrix(const json& m) {
    auto out = xt::xtensor<int32_t, 2>::from_shape({m.size(), m[0].size()});
    for (size_t i = 0; i < m.size(); ++i)
        for (size_t j = 0; j < m[i].size(); ++j) out(i, j) = m[i][j].get<int32_t>();
    return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, DeepSeekMatchesReference) {
    const json c = json::parse(slurp(GetParam()));
    const LoadFile f = read_loads(c.dump());
    const Topology t{c["num_replicas"].get<int64_t>(), c["num_groups"].get<int64_t>(), c["num_nodes"].get<int64_t>(),
                     c["num_gpus"].get<int64_t>()};
    Options o;
    o.algorithm = "deepseek";
    const Placement p = rebalance(f.weights, t, o);
    EXPECT_EQ(p.phy2log, to_int_matrix(c["phy2log"]));
    EXPECT_EQ(p.logcnt, to_int_matrix(c["logcnt"]));
    const json& l2p = c["log2phy"];
    for (size_t l = 0; l < l2p.size(); ++l)
        for (size_t e = 0; e < l2p[l].size(); ++e) {
            std::set<int32_t> want, got;
            for (const auto& v : l2p[l][e])
                if (v.get<int32_t>() >= 0) want.insert(v.get<int32_t>());
            for (int64_t k = 0; k < p.max_replicas(); ++k)
                if (p.log2phy(l, e, size_t(k)) >= 0) got.insert(p.log2phy(l, e, size_t(k)));
            EXPECT_EQ(got, want) << "layer " << l << " expert " << e;
        }
    expect_valid(p, f.weights, t);
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
    return std::filesystem::path(info.param).stem().string();
}

INSTANTIATE_TEST_SUITE_P(ReferenceCases, Golden, ::testing::ValuesIn(golden_files()), case_name);

TEST(Golden, AllCasesPresent) { EXPECT_GE(golden_files().size(), 25u); }

}  // namespace
}  // namespace eplb::test

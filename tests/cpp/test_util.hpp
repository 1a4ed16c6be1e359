#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "eplb/eplb.hpp"

namespace eplb::test {

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

inline std::vector<std::string> golden_files() { return files_in(std::string(EPLB_TEST_DATA) + "/golden"); }
inline std::vector<std::string> real_files() { return files_in(EPLB_REAL_DATA); }

// The 58 MoE layers of a real dump.
inline xt::xtensor<double, 2> real_loads(const std::string& path) {
    ReadOptions o;
    o.drop_dense_layers = true;
    return read_loads_file(path, o).weights;
}

inline xt::xtensor<double, 2> random_loads(std::mt19937& rng, int64_t L, int64_t E, double zero_share = 0.1) {
    std::lognormal_distribution<double> pop(0.0, 1.5);
    std::uniform_real_distribution<double> u(0, 1);
    auto w = xt::xtensor<double, 2>::from_shape({size_t(L), size_t(E)});
    for (auto& v : w) v = u(rng) < zero_share ? 0.0 : std::floor(pop(rng) * 1000);
    return w;
}

// SPEC section 2 invariants, and for the hierarchical policy, whole groups per node.
inline void expect_valid(const Placement& p, const xt::xtensor<double, 2>& w, const Topology& t,
                         Policy policy = Policy::automatic) {
    const int64_t L = int64_t(w.shape(0)), E = int64_t(w.shape(1)), R = t.replicas;
    ASSERT_EQ(p.layers(), L);
    ASSERT_EQ(p.replicas(), R);
    ASSERT_EQ(p.experts(), E);
    EXPECT_NO_THROW(check_placement(p));
    int32_t M = 0;
    for (int64_t l = 0; l < L; ++l) {
        std::vector<int32_t> seen(size_t(E), 0);
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = p.phy2log(size_t(l), size_t(s));
            ASSERT_GE(e, 0);
            ASSERT_LT(e, E);
            ++seen[size_t(e)];
        }
        int64_t sum = 0;
        for (int64_t e = 0; e < E; ++e) {
            EXPECT_GE(p.logcnt(size_t(l), size_t(e)), 1) << "layer " << l << " expert " << e;
            EXPECT_EQ(p.logcnt(size_t(l), size_t(e)), seen[size_t(e)]);
            sum += p.logcnt(size_t(l), size_t(e));
            M = std::max(M, p.logcnt(size_t(l), size_t(e)));
            std::vector<int32_t> slots;
            for (int64_t k = 0; k < p.max_replicas(); ++k)
                if (p.log2phy(size_t(l), size_t(e), size_t(k)) >= 0) slots.push_back(p.log2phy(size_t(l), size_t(e), size_t(k)));
            EXPECT_TRUE(std::is_sorted(slots.begin(), slots.end()));
            EXPECT_EQ(int64_t(slots.size()), p.logcnt(size_t(l), size_t(e)));
            for (int32_t s : slots) EXPECT_EQ(p.phy2log(size_t(l), size_t(s)), e);
        }
        EXPECT_EQ(sum, R);
    }
    EXPECT_EQ(p.max_replicas(), M);
    const bool hier = policy == Policy::hierarchical || (policy == Policy::automatic && t.hierarchical());
    if (hier) {
        const int64_t group_size = E / t.groups, per_node = R / t.nodes;
        for (int64_t l = 0; l < L; ++l) {
            std::vector<std::set<int64_t>> nodes(size_t(t.groups));
            for (int64_t s = 0; s < R; ++s) nodes[size_t(p.phy2log(size_t(l), size_t(s)) / group_size)].insert(s / per_node);
            for (int64_t g = 0; g < t.groups; ++g)
                EXPECT_EQ(nodes[size_t(g)].size(), 1u) << "layer " << l << ": group " << g << " spans nodes";
        }
    }
}

}  // namespace eplb::test

// NodeBalancer: the hybrid policy's node-level step, checked on its own.
#include "balanced/node_balancer.hpp"

#include "test_util.hpp"

namespace eplb::test {
namespace {

using detail::NodeBalancer;

struct Nodes {
    std::vector<double> w;
    std::vector<int32_t> home, count, rn;
    int32_t E, N, m;
};

// E experts, groups of E/N per node (home), all replicas at home: counts by D'Hondt per node
// over `per_node` slots.
Nodes start(std::mt19937& rng, int32_t E, int32_t N, int32_t m, int32_t per_node) {
    Nodes s{{}, {}, std::vector<int32_t>(size_t(E), 1), std::vector<int32_t>(size_t(E) * size_t(N), 0), E, N, m};
    std::lognormal_distribution<double> pop(0.0, 1.3);
    for (int32_t e = 0; e < E; ++e) s.w.push_back(std::floor(1000 * pop(rng)) * (e < E / N ? 3 : 1)), s.home.push_back(e / (E / N));
    for (int32_t n = 0; n < N; ++n)
        for (int32_t k = E / N; k < per_node; ++k) {
            int32_t best = -1;
            for (int32_t e = n * (E / N); e < (n + 1) * (E / N); ++e)
                if (s.count[size_t(e)] < m && (best < 0 || s.w[size_t(e)] / s.count[size_t(e)] > s.w[size_t(best)] / s.count[size_t(best)])) best = e;
            ++s.count[size_t(best)];
        }
    for (int32_t e = 0; e < E; ++e) s.rn[size_t(e) * size_t(N) + size_t(s.home[size_t(e)])] = s.count[size_t(e)];
    return s;
}

std::vector<double> node_loads(const Nodes& s) {
    std::vector<double> load(size_t(s.N), 0.0);
    for (int32_t e = 0; e < s.E; ++e)
        for (int32_t n = 0; n < s.N; ++n) load[size_t(n)] += s.rn[size_t(e) * size_t(s.N) + size_t(n)] * s.w[size_t(e)] / s.count[size_t(e)];
    return load;
}

TEST(NodeBalancer, KeepsHomesSlotsAndCountsAndLowersTheHeaviestNode) {
    std::mt19937 rng(1);
    for (int trial = 0; trial < 20; ++trial) {
        const int32_t E = 64, N = 4, m = 8, per_node = 72;
        Nodes s = start(rng, E, N, m, per_node);
        const auto before = node_loads(s);
        NodeBalancer nb;
        nb.balance(s.w.data(), s.home.data(), E, N, m, N * m, true, 100000, 5e-4, s.count.data(), s.rn.data());
        const auto after = node_loads(s);
        EXPECT_LE(*std::max_element(after.begin(), after.end()), *std::max_element(before.begin(), before.end()) * (1 + 1e-12));
        std::vector<int32_t> slots(size_t(N), 0);
        for (int32_t e = 0; e < E; ++e) {
            int32_t total = 0;
            for (int32_t n = 0; n < N; ++n) {
                const int32_t r = s.rn[size_t(e) * size_t(N) + size_t(n)];
                EXPECT_GE(r, 0);
                EXPECT_LE(r, m) << "more replicas of an expert on a node than it has GPUs";
                slots[size_t(n)] += r, total += r;
            }
            EXPECT_EQ(total, s.count[size_t(e)]) << "expert " << e;
            EXPECT_GE(s.rn[size_t(e) * size_t(N) + size_t(s.home[size_t(e)])], 1) << "expert " << e << " left home";
        }
        for (int32_t n = 0; n < N; ++n) EXPECT_EQ(slots[size_t(n)], per_node) << "node " << n;
    }
}

TEST(NodeBalancer, WithoutCountMovesTheCountsStay) {
    std::mt19937 rng(2);
    Nodes s = start(rng, 64, 4, 8, 72);
    const auto counts = s.count;
    NodeBalancer nb;
    nb.balance(s.w.data(), s.home.data(), 64, 4, 8, 32, false, 100000, 5e-4, s.count.data(), s.rn.data());
    EXPECT_EQ(s.count, counts);
}

TEST(NodeBalancer, BalancedNodesAreLeftAlone) {
    // Equal experts on every node: already within the slack, nothing moves.
    Nodes s{std::vector<double>(32, 10.0), {}, std::vector<int32_t>(32, 1), std::vector<int32_t>(32 * 4, 0), 32, 4, 4};
    for (int32_t e = 0; e < 32; ++e) s.home.push_back(e / 8), s.rn[size_t(e) * 4 + size_t(e / 8)] = 1;
    const auto rn = s.rn;
    NodeBalancer nb;
    nb.balance(s.w.data(), s.home.data(), 32, 4, 4, 16, true, 100000, 5e-4, s.count.data(), s.rn.data());
    EXPECT_EQ(s.rn, rn);
}

}  // namespace
}  // namespace eplb::test

namespace eplb::test {
namespace {

// Nodes of unequal sizes (failed GPUs): each node keeps its slots and its cap of replicas per
// expert (its GPUs), and what goes down is the heaviest load per GPU. With equal sizes, the
// overload for unequal nodes gives exactly the equal-node result.
TEST(NodeBalancer, UnequalNodesBalanceTheLoadPerGpu) {
    std::mt19937 rng(4);
    for (int trial = 0; trial < 10; ++trial) {
        const int32_t E = 64, N = 4, m = 8;
        Nodes a = start(rng, E, N, m, 72);
        Nodes b = a;
        const std::vector<int32_t> equal(size_t(N), m);
        NodeBalancer x, y;
        x.balance(a.w.data(), a.home.data(), E, N, m, N * m, true, 100000, 5e-4, a.count.data(), a.rn.data());
        y.balance(b.w.data(), b.home.data(), E, N, equal.data(), N * m, true, 100000, 5e-4, b.count.data(), b.rn.data());
        EXPECT_EQ(a.rn, b.rn);
        EXPECT_EQ(a.count, b.count);
    }
    for (int trial = 0; trial < 10; ++trial) {
        const int32_t E = 64, N = 4;
        const std::vector<int32_t> gpus{8, 5, 8, 3};  // 9 slots each: 72, 45, 72, 27 slots
        Nodes s = start(rng, E, N, 3, 27);            // 16 experts a node, counts for the smallest node's 27 slots
        // Fill the larger nodes' spare slots with extra replicas of their own experts.
        for (int32_t n = 0; n < N; ++n)
            for (int32_t k = 27; k < gpus[size_t(n)] * 9; ++k) {
                const int32_t e = n * 16 + (k % 16);
                ++s.count[size_t(e)], ++s.rn[size_t(e) * N + n];
            }
        std::vector<int32_t> slots_before(size_t(N), 0);
        for (int32_t e = 0; e < E; ++e)
            for (int32_t n = 0; n < N; ++n) slots_before[size_t(n)] += s.rn[size_t(e) * N + n];
        auto per_gpu_max = [&]() {
            const auto load = node_loads(s);
            double mx = 0;
            for (int32_t n = 0; n < N; ++n) mx = std::max(mx, load[size_t(n)] / gpus[size_t(n)]);
            return mx;
        };
        const double before = per_gpu_max();
        NodeBalancer nb;
        nb.balance(s.w.data(), s.home.data(), E, N, gpus.data(), 8 * 4, true, 100000, 5e-4, s.count.data(), s.rn.data());
        EXPECT_LT(per_gpu_max(), before);
        std::vector<int32_t> slots(size_t(N), 0);
        for (int32_t e = 0; e < E; ++e) {
            EXPECT_GE(s.rn[size_t(e) * N + size_t(s.home[size_t(e)])], 1);
            for (int32_t n = 0; n < N; ++n) {
                EXPECT_LE(s.rn[size_t(e) * N + n], gpus[size_t(n)]);
                slots[size_t(n)] += s.rn[size_t(e) * N + n];
            }
        }
        EXPECT_EQ(slots, slots_before);
    }
}

}  // namespace
}  // namespace eplb::test

// ScenarioPacker: the packing of replicas for several scenarios at once (the history path of the
// balanced algorithms), checked on its own.
#include "balanced/apportion.hpp"
#include "scenarios/scenario_packer.hpp"

#include "test_util.hpp"

namespace eplb::test {
namespace {

using detail::ScenarioPacker;
using detail::Scenarios;

// K windows of one layer of E experts, drifting lognormal loads.
struct Layer {
    std::vector<std::vector<double>> windows;
    std::vector<const double*> rows;
    Scenarios sc;
    Layer(std::mt19937& rng, int32_t K, int32_t E, const Topology& t) {
        std::lognormal_distribution<double> pop(0.0, 1.0), drift(0.0, 0.3);
        std::vector<double> base(static_cast<size_t>(E));
        for (auto& b : base) b = pop(rng);
        for (int32_t k = 0; k < K; ++k) {
            windows.emplace_back(size_t(E));
            for (int32_t e = 0; e < E; ++e) windows.back()[size_t(e)] = std::floor(1000 * base[size_t(e)] * drift(rng));
        }
        for (auto& w : windows) rows.push_back(w.data());
        Options o;
        detail::LayerInput in{windows[0].data(), E, t, Policy::global, o, nullptr, rows.data(), K};
        sc.build(in);
    }
};

double sum_of_squares(const Scenarios& sc, const std::vector<int32_t>& slots, const std::vector<int32_t>& count, int32_t G) {
    const int32_t S = int32_t(slots.size()) / G;
    std::vector<double> load(size_t(G) * size_t(sc.count), 0.0);
    for (size_t s = 0; s < slots.size(); ++s)
        for (int32_t k = 0; k < sc.count; ++k)
            load[size_t(s) / size_t(S) * size_t(sc.count) + size_t(k)] += sc.of(slots[s])[k] / count[size_t(slots[s])];
    double q = 0;
    for (double v : load) q += v * v;
    return q;
}

// D'Hondt's counts on the scenarios' mean, at most `most` each.
std::vector<int32_t> dhondt(const Scenarios& sc, int32_t R, int32_t most) {
    std::vector<int32_t> c(size_t(sc.experts));
    detail::Apportioner().apportion(detail::Apportionment::dhondt, sc.mean.data(), sc.experts, R, most, c.data());
    return c;
}

// Counts summing to R: one each, the rest to the first experts.
std::vector<int32_t> counts(int32_t E, int32_t R, int32_t most) {
    std::vector<int32_t> c(size_t(E), 1);
    for (int32_t s = E, e = 0; s < R; ++s, e = (e + 1) % E)
        if (c[size_t(e)] < most) ++c[size_t(e)];
        else --s;
    return c;
}

TEST(ScenarioPacker, EverySlotFilledWithTheCountsAndNoDuplicates) {
    std::mt19937 rng(1);
    const Topology t{80, 1, 1, 16};
    Layer layer(rng, 4, 64, t);
    auto count = counts(64, 80, 16);
    std::vector<int32_t> block(64, 0), slots(80);
    ScenarioPacker packer;
    ScenarioPacker::Problem p;
    p.scenarios = &layer.sc;
    p.count = count.data();
    p.gpus = 16, p.slots_per_gpu = 5, p.gpus_per_block = 16, p.block_of = block.data(), p.passes = 2;
    packer.pack(p, slots.data());
    std::vector<int32_t> seen(64, 0);
    for (int32_t s = 0; s < 80; ++s) ++seen[size_t(slots[size_t(s)])];
    EXPECT_EQ(seen, count);
    for (int32_t g = 0; g < 16; ++g)
        for (int32_t i = 0; i < 5; ++i)
            for (int32_t j = i + 1; j < 5; ++j) EXPECT_NE(slots[size_t(g * 5 + i)], slots[size_t(g * 5 + j)]) << "GPU " << g;
}

TEST(ScenarioPacker, PassesLowerTheSumOfSquaresAndTheBusiestGpus) {
    std::mt19937 rng(2);
    const Topology t{288, 1, 1, 32};
    for (int trial = 0; trial < 5; ++trial) {
        Layer layer(rng, 5, 256, t);
        auto count = dhondt(layer.sc, 288, 32);
        std::vector<int32_t> block(256, 0), greedy(288), searched(288);
        ScenarioPacker packer;
        ScenarioPacker::Problem p;
        p.scenarios = &layer.sc;
        p.count = count.data();
        p.gpus = 32, p.slots_per_gpu = 9, p.gpus_per_block = 32, p.block_of = block.data();
        p.passes = 0;
        packer.pack(p, greedy.data());
        const double greedy_top = packer.mean_heaviest();
        p.passes = 2;
        packer.pack(p, searched.data());
        EXPECT_LT(sum_of_squares(layer.sc, searched, count, 32), sum_of_squares(layer.sc, greedy, count, 32));
        EXPECT_LE(packer.mean_heaviest(), greedy_top);
        EXPECT_DOUBLE_EQ(packer.mean_heaviest(), layer.sc.heaviest_sum(searched.data(), 288, 32));
    }
}

TEST(ScenarioPacker, BlocksKeepTheirExperts) {
    std::mt19937 rng(3);
    const Topology t{96, 4, 2, 16};
    Layer layer(rng, 3, 64, t);
    std::vector<int32_t> block(64), count(64, 1), slots(96);
    for (int32_t e = 0; e < 64; ++e) block[size_t(e)] = e < 32 ? 1 : 0;  // experts 32.. on GPUs 0-7
    for (int32_t e = 0; e < 16; ++e) count[size_t(e)] = 2, count[size_t(32 + e)] = 2;
    ScenarioPacker packer;
    ScenarioPacker::Problem p;
    p.scenarios = &layer.sc;
    p.count = count.data();
    p.gpus = 16, p.slots_per_gpu = 6, p.gpus_per_block = 8, p.block_of = block.data(), p.passes = 3;
    packer.pack(p, slots.data());
    for (int32_t s = 0; s < 96; ++s) EXPECT_EQ(s / 48, block[size_t(slots[size_t(s)])]) << "slot " << s;
}

TEST(ScenarioPacker, HomeNodesKeepAReplicaAndTheAwayBudgetHolds) {
    std::mt19937 rng(4);
    const Topology t{144, 8, 4, 16};
    for (double budget : {0.0, 0.05, 0.2}) {
        Layer layer(rng, 4, 128, t);
        // Four experts of each home node get a second replica: every node can hold its own.
        std::vector<int32_t> count(128, 1);
        for (int32_t n = 0; n < 4; ++n)
            for (int32_t j = 0; j < 4; ++j) count[size_t(16 * n + j)] = 2;
        std::vector<int32_t> block(128, 0), home(128), slots(144);
        for (int32_t e = 0; e < 128; ++e) home[size_t(e)] = (e / 16) % 4;
        ScenarioPacker packer;
        ScenarioPacker::Problem p;
        p.scenarios = &layer.sc;
        p.count = count.data();
        p.gpus = 16, p.slots_per_gpu = 9, p.gpus_per_block = 16, p.block_of = block.data(), p.passes = 2;
        p.home = home.data(), p.gpus_per_node = 4, p.away_budget = budget;
        packer.pack(p, slots.data());
        std::vector<int32_t> at_home(128, 0);
        double away = 0;
        for (int32_t s = 0; s < 144; ++s) {
            const int32_t e = slots[size_t(s)];
            if (s / 36 == home[size_t(e)]) ++at_home[size_t(e)];
            else away += layer.sc.mean[size_t(e)] / count[size_t(e)];
        }
        for (int32_t e = 0; e < 128; ++e) EXPECT_GE(at_home[size_t(e)], 1) << "expert " << e;
        EXPECT_LE(away, budget + 1e-12);
    }
}

TEST(ScenarioPacker, Deterministic) {
    std::mt19937 rng(5);
    const Topology t{288, 1, 1, 32};
    Layer layer(rng, 6, 256, t);
    auto count = counts(256, 288, 32);
    std::vector<int32_t> block(256, 0), a(288), b(288);
    ScenarioPacker one, two;
    ScenarioPacker::Problem p;
    p.scenarios = &layer.sc;
    p.count = count.data();
    p.gpus = 32, p.slots_per_gpu = 9, p.gpus_per_block = 32, p.block_of = block.data(), p.passes = 2;
    one.pack(p, a.data());
    two.pack(p, b.data());
    one.pack(p, b.data());  // the same instance again, buffers reused
    EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace eplb::test

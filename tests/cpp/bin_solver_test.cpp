// BinSolver: the packing and local search of the balanced algorithms, checked on its own.
#include "balanced/bin_solver.hpp"

#include "test_util.hpp"

namespace eplb::test {
namespace {

using detail::BinSolver;

struct Problem {
    std::vector<double> w;
    std::vector<int32_t> count;
    int32_t n, m, S;
};

Problem random_problem(std::mt19937& rng, int32_t n, int32_t m, int32_t S) {
    Problem p{{}, std::vector<int32_t>(size_t(n), 1), n, m, S};
    std::lognormal_distribution<double> pop(0.0, 1.2);
    for (int32_t e = 0; e < n; ++e) p.w.push_back(std::floor(1000 * pop(rng)));
    for (int32_t s = n, e = 0; s < m * S; ++s, e = (e + 1) % n) ++p.count[size_t(e)];  // extra seats round the experts
    return p;
}

// Loads per bin of `out` (bin-major slots), each replica w / count.
std::vector<double> bin_loads(const Problem& p, const std::vector<int32_t>& count, const std::vector<int32_t>& out) {
    std::vector<double> load(size_t(p.m), 0.0);
    for (int32_t s = 0; s < p.m * p.S; ++s) load[size_t(s / p.S)] += p.w[size_t(out[size_t(s)])] / count[size_t(out[size_t(s)])];
    return load;
}

// Longest processing time first with a cardinality limit and no duplicates: the solver's start.
// Negative when it gets stuck (only a bin holding the expert has room).
double lpt_max(const Problem& p) {
    std::vector<std::pair<double, int32_t>> items;
    for (int32_t e = 0; e < p.n; ++e)
        for (int32_t c = 0; c < p.count[size_t(e)]; ++c) items.push_back({p.w[size_t(e)] / p.count[size_t(e)], e});
    std::stable_sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::vector<double> load(size_t(p.m), 0.0);
    std::vector<int32_t> fill(size_t(p.m), 0);
    std::vector<std::vector<int32_t>> held(size_t(p.m));
    for (auto& [v, e] : items) {
        int32_t best = -1;
        for (int32_t b = 0; b < p.m; ++b) {
            if (fill[size_t(b)] == p.S || std::count(held[size_t(b)].begin(), held[size_t(b)].end(), e)) continue;
            if (best < 0 || load[size_t(b)] < load[size_t(best)]) best = b;
        }
        if (best < 0) return -1;
        load[size_t(best)] += v, ++fill[size_t(best)], held[size_t(best)].push_back(e);
    }
    return *std::max_element(load.begin(), load.end());
}

TEST(BinSolver, FixedCountsPackEverySlotWithoutDuplicatesAndBeatTheGreedy) {
    std::mt19937 rng(1);
    BinSolver solver;
    for (int trial = 0; trial < 30; ++trial) {
        const int32_t m = 4 + int32_t(rng() % 12), S = 3 + int32_t(rng() % 6);
        Problem p = random_problem(rng, m * S - int32_t(rng() % m), m, S);
        std::vector<int32_t> count = p.count, out(size_t(m * S));
        const auto r = solver.solve(p.w.data(), count.data(), p.n, m, S, false, m, 2000 * m * S, out.data());
        EXPECT_EQ(count, p.count) << "counts changed without joint";
        std::vector<int32_t> seen(size_t(p.n), 0);
        for (int32_t e : out) ++seen[size_t(e)];
        EXPECT_EQ(seen, p.count);
        for (int32_t b = 0; b < m; ++b) {
            std::set<int32_t> in(out.begin() + b * S, out.begin() + (b + 1) * S);
            EXPECT_EQ(int32_t(in.size()), S) << "bin " << b << " holds an expert twice";
        }
        const auto load = bin_loads(p, count, out);
        EXPECT_NEAR(r.max_load, *std::max_element(load.begin(), load.end()), 1e-9 * r.max_load);
        const double greedy = lpt_max(p);
        if (greedy > 0) EXPECT_LE(r.max_load, greedy * (1 + 1e-12));
    }
}

TEST(BinSolver, JointCountsKeepTheTotalAndTheCap) {
    std::mt19937 rng(2);
    BinSolver solver;
    for (int trial = 0; trial < 30; ++trial) {
        const int32_t m = 8, S = 9, cap = 8;
        Problem p = random_problem(rng, 64, m, S);
        std::vector<int32_t> count = p.count, out(size_t(m * S));
        const auto fixed = solver.solve(p.w.data(), std::vector<int32_t>(p.count).data(), p.n, m, S, false, cap, 2000 * m * S, out.data());
        const auto r = solver.solve(p.w.data(), count.data(), p.n, m, S, true, cap, 2000 * m * S, out.data());
        int64_t sum = 0;
        for (int32_t c : count) {
            EXPECT_GE(c, 1);
            EXPECT_LE(c, cap);
            sum += c;
        }
        EXPECT_EQ(sum, m * S);
        std::vector<int32_t> seen(size_t(p.n), 0);
        for (int32_t e : out) ++seen[size_t(e)];
        EXPECT_EQ(seen, count);
        EXPECT_LE(r.max_load, fixed.max_load * (1 + 1e-12)) << "counts moves may only help";
    }
}

TEST(BinSolver, StopsAtTheTargetAndIsDeterministic) {
    std::mt19937 rng(3);
    Problem p = random_problem(rng, 60, 8, 9);
    BinSolver one, two;
    std::vector<int32_t> a(72), b(72), ca = p.count, cb = p.count;
    const auto ra = one.solve(p.w.data(), ca.data(), p.n, 8, 9, true, 8, 100000, a.data());
    const auto rb = two.solve(p.w.data(), cb.data(), p.n, 8, 9, true, 8, 100000, b.data());
    EXPECT_EQ(a, b);
    EXPECT_EQ(ra.max_load, rb.max_load);
    // With a target above the greedy start, the start is the answer.
    std::vector<int32_t> c(72), cc = p.count;
    const double greedy = lpt_max(p);
    ASSERT_GT(greedy, 0);
    const auto rc = one.solve(p.w.data(), cc.data(), p.n, 8, 9, true, 8, 100000, c.data(), nullptr, greedy * 2);
    EXPECT_LE(rc.max_load, greedy * 2);
}

TEST(BinSolver, FixedItemsKeepTheirCounts) {
    // item[e] >= 0: that expert's replicas weigh item[e] each and its count stays.
    std::mt19937 rng(4);
    Problem p = random_problem(rng, 30, 4, 9);
    std::vector<double> item(size_t(p.n), -1.0);
    for (int32_t e = 0; e < 5; ++e) item[size_t(e)] = p.w[size_t(e)] / 3;
    std::vector<int32_t> count = p.count, out(36);
    BinSolver solver;
    solver.set_counts_first(true);
    solver.solve(p.w.data(), count.data(), p.n, 4, 9, true, 4, 100000, out.data(), item.data());
    for (int32_t e = 0; e < 5; ++e) EXPECT_EQ(count[size_t(e)], p.count[size_t(e)]) << "expert " << e;
}

}  // namespace
}  // namespace eplb::test

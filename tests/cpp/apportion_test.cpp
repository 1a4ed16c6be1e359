// Apportioner: replica counts by D'Hondt, Sainte-Laguë and Hamilton, against literal versions
// of each rule written out here.
#include "balanced/apportion.hpp"

#include "test_util.hpp"

namespace eplb::test {
namespace {

using detail::Apportioner;
using detail::Apportionment;

// Divisor rules one seat at a time: the largest w / (c + offset), ties to fewer seats, then the
// lower index; never beyond cap.
std::vector<int32_t> divisor_literal(const std::vector<double>& w, int32_t slots, int32_t cap, double offset) {
    const int32_t n = int32_t(w.size());
    std::vector<int32_t> c(size_t(n), 1);
    for (int32_t s = n; s < slots; ++s) {
        int32_t best = -1;
        for (int32_t e = 0; e < n; ++e) {
            if (c[size_t(e)] >= cap) continue;
            if (best < 0) {
                best = e;
                continue;
            }
            const double ve = w[size_t(e)] / (c[size_t(e)] + offset), vb = w[size_t(best)] / (c[size_t(best)] + offset);
            if (ve > vb || (ve == vb && c[size_t(e)] < c[size_t(best)])) best = e;
        }
        if (best < 0) break;
        ++c[size_t(best)];
    }
    return c;
}

std::vector<double> random_weights(std::mt19937& rng, int32_t n, double zero_share) {
    std::lognormal_distribution<double> pop(0.0, 1.5);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> w(static_cast<size_t>(n));
    for (auto& v : w) v = u(rng) < zero_share ? 0.0 : std::floor(100 * pop(rng));
    return w;
}

std::vector<int32_t> apportion(Apportionment rule, const std::vector<double>& w, int32_t slots, int32_t cap) {
    std::vector<int32_t> c(w.size());
    Apportioner().apportion(rule, w.data(), int32_t(w.size()), slots, cap, c.data());
    return c;
}

TEST(Apportioner, DivisorRulesEqualTheirLiteralForm) {
    std::mt19937 rng(1);
    for (int trial = 0; trial < 200; ++trial) {
        const int32_t n = 4 + int32_t(rng() % 60);
        const int32_t slots = n + int32_t(rng() % (2 * n));
        const int32_t cap = 2 + int32_t(rng() % 8);
        if (int64_t(cap) * n < slots) continue;
        const auto w = random_weights(rng, n, trial % 3 == 0 ? 0.3 : 0.0);
        EXPECT_EQ(apportion(Apportionment::dhondt, w, slots, cap), divisor_literal(w, slots, cap, 0.0)) << "trial " << trial;
        EXPECT_EQ(apportion(Apportionment::sainte_lague, w, slots, cap), divisor_literal(w, slots, cap, 0.5)) << "trial " << trial;
    }
}

TEST(Apportioner, HamiltonIsWithinOneOfTheQuota) {
    std::mt19937 rng(2);
    for (int trial = 0; trial < 200; ++trial) {
        const int32_t n = 4 + int32_t(rng() % 60);
        const int32_t slots = 2 * n + int32_t(rng() % (2 * n));
        const auto w = random_weights(rng, n, 0.0);
        const auto c = apportion(Apportionment::hamilton, w, slots, slots);
        double total = 0;
        for (double v : w) total += v;
        int64_t sum = 0;
        for (int32_t e = 0; e < n; ++e) {
            const double q = w[size_t(e)] * slots / total;
            EXPECT_GE(c[size_t(e)], 1);
            // The floor (at least one), plus at most one remainder seat; seats taken back only
            // from experts whose minimum of one overshot the total.
            EXPECT_LE(c[size_t(e)], std::max(1.0, std::floor(q)) + 1) << "expert " << e << " quota " << q;
            sum += c[size_t(e)];
        }
        EXPECT_EQ(sum, slots);
    }
}

TEST(Apportioner, EveryRuleFillsTheSlotsWithinTheCap) {
    std::mt19937 rng(3);
    for (Apportionment rule : {Apportionment::dhondt, Apportionment::sainte_lague, Apportionment::hamilton})
        for (int trial = 0; trial < 100; ++trial) {
            const int32_t n = 8 + int32_t(rng() % 100), cap = 2 + int32_t(rng() % 4);
            const int32_t slots = n + int32_t(rng() % (n * (cap - 1) + 1));
            const auto c = apportion(rule, random_weights(rng, n, 0.2), slots, cap);
            int64_t sum = 0;
            for (int32_t v : c) {
                EXPECT_GE(v, 1);
                EXPECT_LE(v, cap);
                sum += v;
            }
            EXPECT_EQ(sum, slots);
        }
}

TEST(Apportioner, IdleExpertsNeverCollectReplicas) {
    // All zero: the extra seats go round-robin (never two extra to one expert before all have one).
    for (Apportionment rule : {Apportionment::dhondt, Apportionment::sainte_lague, Apportionment::hamilton}) {
        const auto c = apportion(rule, std::vector<double>(10, 0.0), 25, 10);
        EXPECT_EQ(*std::max_element(c.begin(), c.end()) - *std::min_element(c.begin(), c.end()), 1);
    }
    // One busy expert, the rest idle: the busy one takes every extra seat it may.
    std::vector<double> w(8, 0.0);
    w[3] = 100;
    EXPECT_EQ(apportion(Apportionment::dhondt, w, 12, 5)[3], 5);
}

}  // namespace
}  // namespace eplb::test

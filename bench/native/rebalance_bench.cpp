// Rebalance speed per algorithm at the shapes of the measurement issue (SPEC section 4: Speed).
//   build-native/bench/native/eplb_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>

#include "eplb/eplb.hpp"

namespace {

const xt::xtensor<double, 2>& v3_loads() {
    static const xt::xtensor<double, 2> w = [] {
        eplb::ReadOptions o;
        o.drop_dense_layers = true;
        return eplb::read_loads_file(std::string(EPLB_REAL_DATA) + "/prefill_in1024.json", o).weights;
    }();
    return w;
}

// Seeded skewed loads (lognormal popularity), the synthetic shapes of the suite.
xt::xtensor<double, 2> synthetic(size_t L, size_t E, unsigned seed) {
    std::mt19937 rng(seed);
    std::lognormal_distribution<double> pop(0.0, 1.0);
    auto w = xt::xtensor<double, 2>::from_shape({L, E});
    for (auto& v : w) v = std::floor(pop(rng) * 1000);
    return w;
}

void run(benchmark::State& state, const xt::xtensor<double, 2>& w, eplb::Topology t, const std::string& algorithm,
         eplb::Policy policy = eplb::Policy::automatic) {
    eplb::Options o;
    o.algorithm = algorithm;
    o.policy = policy;
    for (auto _ : state) benchmark::DoNotOptimize(eplb::rebalance(w, t, o));
}

void register_all() {
    for (const std::string& a : eplb::algorithms()) {
        benchmark::RegisterBenchmark(("v3_58x256_288_8_4_32/" + a).c_str(),
                                     [a](benchmark::State& s) { run(s, v3_loads(), {288, 8, 4, 32}, a); })
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("61x512_640_8_8_64/" + a).c_str(), [a](benchmark::State& s) {
            static const auto w = synthetic(61, 512, 1);
            run(s, w, {640, 8, 8, 64}, a);
        })->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("61x1024_2048_8_8_256/" + a).c_str(), [a](benchmark::State& s) {
            static const auto w = synthetic(61, 1024, 2);
            run(s, w, {2048, 8, 8, 256}, a);
        })->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark("v3_58x256_288_8_4_32/default-hybrid", [](benchmark::State& s) {
        run(s, v3_loads(), {288, 8, 4, 32}, "default", eplb::Policy::hybrid);
    })->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

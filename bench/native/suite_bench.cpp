// Native rebalance speed on the benchmark suite's own inputs (bench/run.mjs writes them), so the
// native, WASM and Python reference figures of one run time the very same matrices.
//   eplb_suite_bench --suite MANIFEST.json [Google Benchmark flags]
// MANIFEST.json: [{"name", "path" (raw little-endian float64, row-major), "layers", "experts",
//                  "replicas", "groups", "nodes", "gpus", "combos": [{"algorithm", "policy"}]}]
// Benchmarks are named CASE/ALGORITHM/POLICY; a combination the core rejects is reported as an
// error (Google Benchmark's error_occurred / error_message), not timed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "eplb/eplb.hpp"

namespace {

struct Case {
    std::string name;
    std::shared_ptr<xt::xtensor<double, 2>> weights;
    eplb::Topology topology;
};

std::shared_ptr<xt::xtensor<double, 2>> read_matrix(const std::string& path, size_t layers, size_t experts) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    auto w = std::make_shared<xt::xtensor<double, 2>>(xt::xtensor<double, 2>::from_shape({layers, experts}));
    in.read(reinterpret_cast<char*>(w->data()), std::streamsize(layers * experts * sizeof(double)));
    if (!in) throw std::runtime_error(path + " is shorter than " + std::to_string(layers) + "x" + std::to_string(experts) + " float64");
    return w;
}

void time_rebalance(benchmark::State& state, const Case& c, const eplb::Options& options, const std::string& error) {
    try {
        if (!error.empty()) throw std::invalid_argument(error);
        benchmark::DoNotOptimize(eplb::rebalance(*c.weights, c.topology, options));
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        for (auto _ : state) {
        }
        return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(eplb::rebalance(*c.weights, c.topology, options));
}

void register_suite(const std::string& manifest_path) {
    std::ifstream in(manifest_path);
    if (!in) throw std::runtime_error("cannot open " + manifest_path);
    const auto manifest = nlohmann::json::parse(in);
    for (const auto& m : manifest) {
        Case c;
        c.name = m.at("name").get<std::string>();
        c.weights = read_matrix(m.at("path").get<std::string>(), m.at("layers").get<size_t>(), m.at("experts").get<size_t>());
        c.topology = {m.at("replicas").get<int64_t>(), m.at("groups").get<int64_t>(), m.at("nodes").get<int64_t>(),
                      m.at("gpus").get<int64_t>()};
        for (const auto& combo : m.at("combos")) {
            eplb::Options o;
            o.algorithm = combo.at("algorithm").get<std::string>();
            const std::string policy = combo.at("policy").get<std::string>();
            std::string error;  // registered anyway, so that the report names the combination
            try {
                o.policy = eplb::parse_policy(policy);
            } catch (const std::exception& e) {
                error = e.what();
            }
            const std::string name = c.name + "/" + combo.at("algorithm").get<std::string>() + "/" + policy;
            benchmark::RegisterBenchmark(name.c_str(), [c, o, error](benchmark::State& s) { time_rebalance(s, c, o, error); })
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string manifest;
    std::vector<char*> rest;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--suite") == 0 && i + 1 < argc) manifest = argv[++i];
        else rest.push_back(argv[i]);
    }
    if (manifest.empty()) {
        std::fprintf(stderr, "usage: eplb_suite_bench --suite MANIFEST.json [--benchmark_* flags]\n");
        return 2;
    }
    try {
        register_suite(manifest);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "eplb_suite_bench: %s\n", e.what());
        return 2;
    }
    int n = int(rest.size());
    benchmark::Initialize(&n, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

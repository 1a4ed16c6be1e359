// Balances one real DeepSeek-V3 load dump and prints, per layer, the balancedness (GPU) and the
// slowest GPU's load for each algorithm.
//   eplb_demo [LOADS.json] [--replicas R --groups Gr --nodes N --gpus G] [--algorithm A]...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "eplb/eplb.hpp"

namespace {

struct Args {
    std::string file = std::string(EPLB_DATA_DIR) + "/prefill_in4096.json";
    eplb::Topology topology{288, 8, 4, 32};
    std::vector<std::string> algorithms;
};

int64_t to_int(const std::string& flag, const char* v) {
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    if (!*v || *end) throw eplb::InvalidInput(flag + " expects an integer, got '" + v + "'");
    return n;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) throw eplb::InvalidInput(f + " needs a value");
            return argv[++i];
        };
        if (f == "--replicas") a.topology.replicas = to_int(f, value());
        else if (f == "--groups") a.topology.groups = to_int(f, value());
        else if (f == "--nodes") a.topology.nodes = to_int(f, value());
        else if (f == "--gpus") a.topology.gpus = to_int(f, value());
        else if (f == "--algorithm") a.algorithms.push_back(value());
        else if (f.rfind("--", 0) == 0) throw eplb::InvalidInput("unknown flag " + f);
        else a.file = f;
    }
    if (a.algorithms.empty()) a.algorithms = {"deepseek", "default"};
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Args args = parse(argc, argv);
        eplb::ReadOptions read;
        read.drop_dense_layers = true;
        const eplb::LoadFile loads = eplb::read_loads_file(args.file, read);
        const auto& t = args.topology;
        std::printf("%s: %s format, %lld MoE layers x %lld experts (%lld dense layers dropped)\n", args.file.c_str(),
                    eplb::format_name(loads.format).c_str(), (long long)loads.weights.shape(0),
                    (long long)loads.weights.shape(1), (long long)(loads.file_layers - loads.kept_layers.size()));
        std::printf("topology: %lld slots, %lld groups, %lld nodes, %lld GPUs\n\n", (long long)t.replicas,
                    (long long)t.groups, (long long)t.nodes, (long long)t.gpus);

        std::vector<eplb::Evaluation> evals;
        std::vector<double> millis;
        for (const auto& name : args.algorithms) {
            eplb::Options o;
            o.algorithm = name;
            const auto start = std::chrono::steady_clock::now();
            const eplb::Placement p = eplb::rebalance(loads.weights, t, o);
            millis.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
            evals.push_back(eplb::evaluate(p, loads.weights));
        }
        std::printf("%6s", "layer");
        for (const auto& name : args.algorithms) std::printf("  %14s bal.  %14s max", name.c_str(), name.c_str());
        std::printf("\n");
        for (size_t i = 0; i < loads.kept_layers.size(); ++i) {
            std::printf("%6lld", (long long)loads.kept_layers[i]);
            for (const auto& ev : evals)
                std::printf("  %19.4f  %18.0f", ev.layer_balancedness_gpu(i), ev.layer_max_gpu_load(i));
            std::printf("\n");
        }
        std::printf("\n%-12s %16s %16s %12s %10s\n", "algorithm", "balancedness GPU", "upper bound", "replica", "time ms");
        for (size_t k = 0; k < evals.size(); ++k)
            std::printf("%-12s %16.4f %16.4f %12.4f %10.3f\n", args.algorithms[k].c_str(), evals[k].balancedness_gpu,
                        evals[k].upper_bound, evals[k].balancedness_replica, millis[k]);
        return 0;
    } catch (const eplb::InvalidInput& e) {
        std::fprintf(stderr, "eplb_demo: %s\n", e.what());
        return 2;
    }
}

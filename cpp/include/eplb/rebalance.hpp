#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "eplb/placement.hpp"
#include "eplb/topology.hpp"

namespace eplb {

enum class Policy {
    automatic,     // hierarchical when groups % nodes == 0, else global (as the reference)
    hierarchical,  // whole groups per node
    global,        // groups and nodes ignored
    hybrid,        // first replica of each expert on its group's node, extra replicas anywhere
};

struct Options {
    std::string algorithm = "default";
    Policy policy = Policy::automatic;
    // Migration-aware rebalancing: the placement in service (same L, E, R), or null.
    const Placement* previous = nullptr;
    // With `previous`: at most this many slots per layer change expert (-1: no budget) ...
    int64_t max_moves = -1;
    // ... or keep the previous expert in a slot unless that costs more than this fraction of
    // balancedness against the best fresh placement (-1: the algorithm's default).
    double tolerance = -1;
    // Called after each layer is placed with (layers done, layers): large placements take
    // seconds, and layers are placed one after another. May throw to stop the call.
    std::function<void(int64_t, int64_t)> progress;
    // GPUs out of service (indices in [0, num_gpus), any order, each once): their slots are -1 in
    // phy2log and every expert is placed on the live GPUs (docs/failures.md). With `previous`,
    // the placement in service may have -1 slots of its own (GPUs that failed before it).
    std::vector<int64_t> failed_gpus;
};

// weights: [layers][experts], finite and non-negative. Throws InvalidInput on bad input, among
// them failed GPUs out of range, every GPU failed, fewer live slots than experts, and the
// hierarchical policy when the live GPUs of a node cannot hold its groups.
Placement rebalance(const xt::xtensor<double, 2>& weights, const Topology& topology,
                    const Options& options = {});

// A load history: windows of measured loads, oldest first, each [layers][experts], all of one
// shape. A placement serves the loads that come after it, so with two or more windows the
// balanced algorithms place for all of them at once (each window a scenario of what may come);
// `deepseek` places their sum, as the reference does with a window sum. One window is the same
// as the matrix alone.
using LoadHistory = std::vector<xt::xtensor<double, 2>>;
Placement rebalance(const LoadHistory& history, const Topology& topology, const Options& options = {});

// The same placement's phy2log alone ([layers][replicas]), for callers that derive log2phy and
// logcnt themselves (the WebAssembly binding: JS derives them when they are first read).
xt::xtensor<int32_t, 2> rebalance_phy2log(const xt::xtensor<double, 2>& weights, const Topology& topology,
                                          const Options& options = {});
xt::xtensor<int32_t, 2> rebalance_phy2log(const LoadHistory& history, const Topology& topology,
                                          const Options& options = {});
// ... read from a row-major [layers][experts] array in place (the binding's view of the JS heap).
xt::xtensor<int32_t, 2> rebalance_phy2log(const double* weights, int64_t layers, int64_t experts,
                                          const Topology& topology, const Options& options = {});
// ... or from `windows` such arrays end to end ([windows][layers][experts]), oldest first.
xt::xtensor<int32_t, 2> rebalance_phy2log(const double* history, int64_t windows, int64_t layers, int64_t experts,
                                          const Topology& topology, const Options& options = {});

// Names accepted by Options::algorithm.
std::vector<std::string> algorithms();
// The same with a one-line summary of each, in the order listed to users.
struct AlgorithmInfo {
    std::string name, summary;
};
std::vector<AlgorithmInfo> algorithm_info();
// Names accepted by Options::policy ("auto" first); with an algorithm, the ones it implements
// ("auto" always: it resolves to hierarchical or global). Throws InvalidInput for an unknown
// algorithm.
std::vector<std::string> policies();
std::vector<std::string> policies(const std::string& algorithm);
Policy parse_policy(const std::string& name);
std::string policy_name(Policy p);

// Throws InvalidInput for an empty matrix, NaN, infinite or negative loads, or sizes past the limits.
void validate_weights(const xt::xtensor<double, 2>& weights);
void validate_weights(const double* weights, int64_t layers, int64_t experts);
// The same for every window of a history, and for windows of different shapes or too many cells.
void validate_history(const LoadHistory& history);

}  // namespace eplb

#pragma once
// The interface every placement algorithm implements, one layer at a time.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eplb/rebalance.hpp"
#include "eplb/topology.hpp"

namespace eplb::detail {

struct LayerInput {
    const double* weight;  // [experts]
    int64_t experts;
    const Topology& topology;
    Policy policy;             // never Policy::automatic: resolved by rebalance()
    const Options& options;
    const int32_t* previous;   // the layer's phy2log in service [replicas], or null
    // The layer's loads in each window of the history, oldest first ([experts] each); `weight` is
    // their sum. One window: windows[0] == weight.
    const double* const* windows;
    int64_t window_count;
};

struct LayerOutput {
    int32_t* phy2log;  // [replicas]; replica counts and log2phy are derived from it
};

// One instance serves one rebalance call; it may keep buffers across layers.
class Algorithm {
public:
    virtual ~Algorithm() = default;
    virtual void place(const LayerInput& in, LayerOutput out) = 0;
    // Policies this algorithm implements besides hierarchical and global.
    virtual bool supports(Policy p) const { return p == Policy::hierarchical || p == Policy::global; }
};

struct AlgorithmEntry {
    std::string name;
    std::string summary;
    std::unique_ptr<Algorithm> (*make)();
};

// All algorithms, in the order they are listed to users. Defined in registry.cpp.
const std::vector<AlgorithmEntry>& algorithm_registry();

}  // namespace eplb::detail

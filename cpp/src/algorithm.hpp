#pragma once
// The interface every placement algorithm implements, one layer at a time.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eplb/rebalance.hpp"
#include "eplb/topology.hpp"

namespace eplb::detail {

struct NodeLayout;

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
    // Hierarchical and hybrid policies on nodes of unequal sizes or with groups that do not divide
    // them (layout.hpp): the nodes of `topology`'s GPUs; null for equal nodes of whole groups.
    const NodeLayout* layout = nullptr;
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
    // Whether it places on a NodeLayout: the hybrid policy itself, the hierarchical one through
    // NodeSplit (each node a problem of its own for this algorithm's global policy). The reference
    // (deepseek) does not: it falls back to the global policy, as DeepSeek's and SGLang's code do.
    virtual bool supports_uneven() const { return false; }
};

struct AlgorithmEntry {
    std::string name;
    std::string summary;
    std::unique_ptr<Algorithm> (*make)();
};

// All algorithms, in the order they are listed to users. Defined in registry.cpp.
const std::vector<AlgorithmEntry>& algorithm_registry();

}  // namespace eplb::detail

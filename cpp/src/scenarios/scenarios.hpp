#pragma once
// The windows of a load history, one layer at a time, seen as scenarios of the next window.
#include <cstdint>
#include <vector>

#include "algorithm.hpp"

namespace eplb::detail {

// At most this many scenarios per layer; a longer history is merged into this many runs of
// consecutive windows (each run's sum is one scenario): the placement's work grows with the
// number of scenarios (docs/algorithms.md).
constexpr int32_t kMaxScenarios = 32;

// Each window's loads of one layer, scaled to a layer total of 1: every window weighs the same
// however many tokens it saw. Windows whose layer is all zero say nothing and are left out.
struct Scenarios {
    int32_t count = 0;          // K: scenarios kept
    int32_t experts = 0;        // E
    std::vector<double> load;   // [E][K]: load of expert e in scenario k (expert-major)
    std::vector<double> mean;   // [E]: the mean over the scenarios

    void build(const LayerInput& in);
    const double* of(int32_t e) const { return load.data() + size_t(e) * size_t(count); }
    // Sum over the scenarios of each scenario's heaviest GPU under `phy2log` [R] on G GPUs: what a
    // placement for the history minimises (the mean of the scenarios' busiest GPUs, times K).
    double heaviest_sum(const int32_t* phy2log, int32_t R, int32_t G) const;
};

}  // namespace eplb::detail

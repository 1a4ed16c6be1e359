#pragma once
#include <cstdint>
#include <string>
#include <xtensor/xtensor.hpp>

#include "eplb/topology.hpp"

namespace eplb {

// SPEC section 2. Slot p is on GPU p / (R/G); GPU g on node g / (G/N).
struct Placement {
    xt::xtensor<int32_t, 2> phy2log;  // [L][R] expert held by each slot
    xt::xtensor<int32_t, 3> log2phy;  // [L][E][M] slots of each expert, ascending, padded with -1
    xt::xtensor<int32_t, 2> logcnt;   // [L][E] replicas per expert
    Topology topology;
    std::string algorithm;

    int64_t layers() const { return int64_t(phy2log.shape(0)); }
    int64_t replicas() const { return int64_t(phy2log.shape(1)); }
    int64_t experts() const { return int64_t(logcnt.shape(1)); }
    int64_t max_replicas() const { return int64_t(log2phy.shape(2)); }
};

// Builds logcnt and log2phy from phy2log. Throws InvalidInput if a slot names an expert outside
// [0, experts) or an expert has no slot.
Placement placement_from_phy2log(xt::xtensor<int32_t, 2> phy2log, int64_t experts,
                                 const Topology& topology);

// Throws InvalidInput if the SPEC section 2 invariants do not hold.
void check_placement(const Placement& p);

}  // namespace eplb

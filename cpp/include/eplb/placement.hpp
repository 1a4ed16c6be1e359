#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "eplb/topology.hpp"

namespace eplb {

// SPEC section 2. Slot p is on GPU p / (R/G); GPU g on node g / (G/N).
// Failed GPUs (docs/failures.md): every slot of a failed GPU is -1 in phy2log, in every layer;
// logcnt and log2phy count the live slots only, and every expert has at least one.
struct Placement {
    xt::xtensor<int32_t, 2> phy2log;  // [L][R] expert held by each slot (-1: a slot of a failed GPU)
    xt::xtensor<int32_t, 3> log2phy;  // [L][E][M] live slots of each expert, ascending, padded with -1
    xt::xtensor<int32_t, 2> logcnt;   // [L][E] replicas per expert on live GPUs
    Topology topology;
    std::string algorithm;

    int64_t layers() const { return int64_t(phy2log.shape(0)); }
    int64_t replicas() const { return int64_t(phy2log.shape(1)); }
    int64_t experts() const { return int64_t(logcnt.shape(1)); }
    int64_t max_replicas() const { return int64_t(log2phy.shape(2)); }
};

// The failed GPUs of a placement: those whose slots are -1 (ascending).
std::vector<int64_t> failed_gpus(const xt::xtensor<int32_t, 2>& phy2log, const Topology& topology);
inline std::vector<int64_t> failed_gpus(const Placement& p) { return failed_gpus(p.phy2log, p.topology); }

// Builds logcnt and log2phy from phy2log. Throws InvalidInput if a slot names an expert outside
// [0, experts) (-1 only for every slot of a failed GPU, in every layer, and not for every GPU) or
// an expert has no slot.
Placement placement_from_phy2log(xt::xtensor<int32_t, 2> phy2log, int64_t experts,
                                 const Topology& topology);

// Throws InvalidInput if the SPEC section 2 invariants do not hold.
void check_placement(const Placement& p);

}  // namespace eplb

#pragma once
#include <cstdint>
#include <optional>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "eplb/placement.hpp"
#include "eplb/topology.hpp"

namespace eplb {

// SPEC section 4. Each expert's load splits equally over its replicas. With failed GPUs (-1 slots),
// every measure is taken over the live GPUs and slots: the mean GPU load is W / live GPUs, the
// replica measure's mean W / live slots, the bound's T* that of the live slots; a failed GPU's
// entry of gpu_loads is 0.
struct Evaluation {
    double balancedness_gpu = 1;      // sum_l mean_g load / sum_l max_g load
    double balancedness_replica = 1;  // same over the R slots
    double upper_bound = 1;           // sum_l (W/G) / sum_l max(W/G, T*)
    double gap_to_bound = 0;          // upper_bound - balancedness_gpu
    double home_node_fraction = 1;    // load served on the node serving most of its group's load
    double max_gpu_load = 0;          // sum over layers of the busiest GPU's load
    xt::xtensor<double, 1> layer_balancedness_gpu;
    xt::xtensor<double, 1> layer_balancedness_replica;
    xt::xtensor<double, 1> layer_upper_bound;
    xt::xtensor<double, 1> layer_max_gpu_load;
    xt::xtensor<double, 2> gpu_loads;  // [L][G]
    std::vector<int64_t> failed_gpus;  // GPUs whose slots are -1, ascending
    // Against `previous`, when given: live slots whose expert differs from the previous one (a
    // slot of a failed GPU needs no copy; a slot of a GPU back in service needs one).
    std::optional<int64_t> moved_slots;
    xt::xtensor<int64_t, 1> layer_moved_slots;
};

// Scores a placement as given, e.g. one made by another tool: only phy2log is used (replica
// counts are read off it); topology supplies gpus, nodes and groups. Throws InvalidInput when
// the placement, the loads and the topology do not fit together.
Evaluation evaluate(const xt::xtensor<int32_t, 2>& phy2log, const xt::xtensor<double, 2>& weights,
                    const Topology& topology, const xt::xtensor<int32_t, 2>* previous = nullptr);
Evaluation evaluate(const Placement& placement, const xt::xtensor<double, 2>& weights,
                    const Placement* previous = nullptr);
// Measured on the sum of a load history's windows (history_sum).
Evaluation evaluate(const Placement& placement, const std::vector<xt::xtensor<double, 2>>& history,
                    const Placement* previous = nullptr);

// Per layer, the smallest possible largest replica load with `replicas` slots (T* of SPEC 4).
double min_max_replica_load(const double* weight, int64_t experts, int64_t replicas);

}  // namespace eplb

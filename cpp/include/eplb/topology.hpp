#pragma once
#include <cstdint>
#include <string>

namespace eplb {

// R physical slots on G GPUs in N nodes; E experts in Gr groups of E/Gr consecutive experts.
struct Topology {
    int64_t replicas = 0;
    int64_t groups = 1;
    int64_t nodes = 1;
    int64_t gpus = 1;

    int64_t slots_per_gpu() const { return replicas / gpus; }
    int64_t gpus_per_node() const { return gpus / nodes; }
    int64_t slots_per_node() const { return replicas / nodes; }
    // The reference runs the hierarchical policy when groups divide evenly over nodes.
    bool hierarchical() const { return groups % nodes == 0; }
};

// Throws InvalidInput naming the first rule of SPEC section 1 that `t` breaks for `experts`.
void validate_topology(const Topology& t, int64_t experts);

}  // namespace eplb

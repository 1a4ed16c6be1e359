#pragma once
#include <cstdint>

namespace eplb::limits {

// Checked before any allocation that depends on them.
constexpr int64_t max_layers = 4096;
constexpr int64_t max_experts = 65536;
constexpr int64_t max_replicas = 1 << 16;
constexpr int64_t max_gpus = 1 << 16;
// layers x replicas (phy2log) and layers x experts x max replicas per expert (log2phy) of any
// placement (a file read, a log2phy made).
constexpr int64_t max_placement_cells = int64_t(1) << 26;
// Slots (layers x replicas) of a placement rebalance makes: the work of every algorithm grows
// with them (the default algorithm's local search the most: ~3 minutes at this limit, 61 layers
// x 65,536 replicas on 4,096 GPUs, in WebAssembly; docs/limits.md).
constexpr int64_t max_slots = int64_t(1) << 22;
// One load matrix read from a file (a matrix, or each step of a load_history): layers x experts.
constexpr int64_t max_file_matrix_cells = int64_t(1) << 24;
// A load history: at most this many windows, and windows x layers x experts cells in all.
constexpr int64_t max_windows = 4096;
constexpr int64_t max_history_cells = int64_t(1) << 25;
constexpr int64_t max_file_bytes = int64_t(256) << 20;
constexpr int max_json_depth = 64;
// Loads are balanced in float32 (as the reference); a layer's sum must stay finite there.
constexpr double max_load = 1e30;

}  // namespace eplb::limits

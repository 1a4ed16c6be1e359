#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "eplb/topology.hpp"

namespace eplb {

enum class LoadFormat { matrix, weight, logical_count, load_history };
std::string format_name(LoadFormat f);

struct ReadOptions {
    bool drop_dense_layers = false;  // drop layers whose loads are all zero
    // load_history only: sum steps [window_begin, window_end); -1 means the end.
    int64_t window_begin = 0;
    int64_t window_end = -1;
    // load_history only: also cut those steps into windows of this many steps (0: no windows);
    // a shorter run at the end becomes a last, shorter window.
    int64_t steps_per_window = 0;
};

struct LoadFile {
    xt::xtensor<double, 2> weights;  // [layers][experts]
    LoadFormat format = LoadFormat::matrix;
    std::vector<int64_t> kept_layers;  // indices in the file of the layers in `weights`
    int64_t file_layers = 0;
    int64_t history_steps = 0;  // load_history only
    // With ReadOptions::steps_per_window: the windows, oldest first, with the kept layers of
    // `weights`, which is their sum.
    std::vector<xt::xtensor<double, 2>> windows;
    // Topology keys found in the file (num_replicas, num_groups, num_nodes, num_gpus).
    std::optional<int64_t> replicas, groups, nodes, gpus;
};

// A source of a file's bytes: copies up to `capacity` bytes into `buffer` and returns how many,
// 0 at the end.
using ByteReader = std::function<size_t(char* buffer, size_t capacity)>;

// Parses any SPEC section 5 shape; throws InvalidInput naming what is wrong. The text is read as
// a stream of JSON events (no parsed tree): a load_history's steps are summed, and cut into
// windows, as they come, so memory holds one step, the sum and the windows, never the steps.
LoadFile read_loads(const std::string& json_text, const ReadOptions& options = {});
LoadFile read_loads_file(const std::string& path, const ReadOptions& options = {});
// The same from a stream of bytes (a file read in chunks, a JS callback): the text is never held.
LoadFile read_loads_stream(const ByteReader& read, const ReadOptions& options = {});

// Splits a load_history into its steps, [steps][layers][experts] as one matrix per step (at most
// limits::max_history_cells loads in all).
std::vector<xt::xtensor<double, 2>> read_load_history(const std::string& json_text);

}  // namespace eplb

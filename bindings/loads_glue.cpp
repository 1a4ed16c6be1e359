// read_loads() and predict_loads() for JS, plus the heap figures the leak tests read.
#include <emscripten/bind.h>
#include <malloc.h>

#include <vector>

#include "eplb/history.hpp"
#include "eplb/limits.hpp"
#include "eplb/loads.hpp"
#include "glue.hpp"

namespace eplb::wasm {
namespace {

val matrix_value(const xt::xtensor<double, 2>& m) {
    val out = val::object();
    out.set("data", copy_out(m.data(), m.size()));
    out.set("layers", double(m.shape(0)));
    out.set("experts", double(m.shape(1)));
    return out;
}

// read: the file's bytes, a chunk at a time (see js_reader); o: {dropDense, windowBegin,
// windowEnd, windowSteps}, already validated. With windowSteps, the result also has `windows`:
// one matrix value per window.
val read_loads_js(val read, val o) {
    return guarded([&] {
        ReadOptions opt;
        opt.drop_dense_layers = o["dropDense"].as<bool>();
        opt.window_begin = count_of(o, "windowBegin");
        opt.window_end = count_of(o, "windowEnd");
        opt.steps_per_window = count_of(o, "windowSteps");
        const LoadFile f = read_loads_stream(js_reader(read), opt);
        val out = matrix_value(f.weights);
        if (opt.steps_per_window > 0) {
            val windows = val::array();
            for (const auto& w : f.windows) windows.call<void>("push", matrix_value(w));
            out.set("windows", windows);
        }
        out.set("format", format_name(f.format));
        const std::vector<int32_t> kept(f.kept_layers.begin(), f.kept_layers.end());
        out.set("keptLayers", copy_out(kept.data(), kept.size()));
        out.set("fileLayers", double(f.file_layers));
        out.set("historySteps", double(f.history_steps));
        auto opt_count = [&](const char* key, const std::optional<int64_t>& v) {
            if (v) out.set(key, double(*v));
        };
        opt_count("replicas", f.replicas);
        opt_count("groups", f.groups);
        opt_count("nodes", f.nodes);
        opt_count("gpus", f.gpus);
        return out;
    });
}

// steps: [count*layers*experts] doubles, one matrix per step; o: {steps, layers, experts,
// predictor, alpha, spread}.
val predict_loads_js(uintptr_t steps, val o) {
    return guarded([&] {
        const int64_t S = count_of(o, "steps"), L = count_of(o, "layers"), E = count_of(o, "experts");
        std::vector<xt::xtensor<double, 2>> history;
        for (int64_t s = 0; s < S; ++s)
            history.push_back(matrix_in<double>(steps + uintptr_t(s * L * E) * sizeof(double), L, E));
        Predictor p;
        p.name = o["predictor"].as<std::string>();
        p.alpha = o["alpha"].as<double>();
        p.spread = o["spread"].as<double>();
        return matrix_value(predict_loads(history, p));
    });
}

val predictors_js() {
    val out = val::array();
    for (const auto& name : predictors()) out.call<void>("push", name);
    return out;
}

// The core's limits (eplb/limits.hpp), so that JS checks against them instead of copies.
val limits_js() {
    namespace k = eplb::limits;
    val out = val::object();
    out.set("maxLayers", double(k::max_layers));
    out.set("maxExperts", double(k::max_experts));
    out.set("maxReplicas", double(k::max_replicas));
    out.set("maxGpus", double(k::max_gpus));
    out.set("maxPlacementCells", double(k::max_placement_cells));
    out.set("maxSlots", double(k::max_slots));
    out.set("maxFileMatrixCells", double(k::max_file_matrix_cells));
    out.set("maxWindows", double(k::max_windows));
    out.set("maxHistoryCells", double(k::max_history_cells));
    out.set("maxFileBytes", double(k::max_file_bytes));
    out.set("maxJsonDepth", double(k::max_json_depth));
    out.set("maxLoad", k::max_load);
    return out;
}

// Bytes of the WASM heap held by malloc right now.
double heap_in_use() { return double(mallinfo().uordblks); }

}  // namespace
}  // namespace eplb::wasm

EMSCRIPTEN_BINDINGS(eplb_loads) {
    emscripten::function("readLoads", &eplb::wasm::read_loads_js);
    emscripten::function("predictLoads", &eplb::wasm::predict_loads_js);
    emscripten::function("predictors", &eplb::wasm::predictors_js);
    emscripten::function("heapInUse", &eplb::wasm::heap_in_use);
    emscripten::function("limits", &eplb::wasm::limits_js);
}

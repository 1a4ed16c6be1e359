// evaluate() for JS: the measures of SPEC section 4, per-layer vectors as Float64Array copies.
#include <emscripten/bind.h>

#include <vector>

#include "eplb/evaluate.hpp"
#include "eplb/history.hpp"
#include "glue.hpp"

namespace eplb::wasm {
namespace {

// phy2log: [layers*replicas] int32; weights: [windows*layers*experts] doubles (a history is
// measured on its sum); previous: a phy2log of the same shape or 0; o: {windows, layers,
// replicas, experts, groups, nodes, gpus}.
val evaluate_js(uintptr_t phy2log, uintptr_t weights, uintptr_t previous, val o) {
    return guarded([&] {
        const int64_t L = count_of(o, "layers"), R = count_of(o, "replicas"), E = count_of(o, "experts");
        const auto p = matrix_in<int32_t>(phy2log, L, R);
        std::vector<xt::xtensor<double, 2>> history;
        for (int64_t k = 0; k < count_of(o, "windows"); ++k)
            history.push_back(matrix_in<double>(weights + uintptr_t(k * L * E) * sizeof(double), L, E));
        const auto w = history.size() == 1 ? std::move(history[0]) : history_sum(history);
        const Topology t{R, count_of(o, "groups"), count_of(o, "nodes"), count_of(o, "gpus")};
        xt::xtensor<int32_t, 2> prev;
        if (previous) prev = matrix_in<int32_t>(previous, L, R);
        const Evaluation ev = evaluate(p, w, t, previous ? &prev : nullptr);
        val out = val::object();
        out.set("balancednessGpu", ev.balancedness_gpu);
        out.set("balancednessReplica", ev.balancedness_replica);
        out.set("upperBound", ev.upper_bound);
        out.set("gapToBound", ev.gap_to_bound);
        out.set("homeNodeFraction", ev.home_node_fraction);
        out.set("maxGpuLoad", ev.max_gpu_load);
        out.set("layerBalancednessGpu", copy_out(ev.layer_balancedness_gpu.data(), ev.layer_balancedness_gpu.size()));
        out.set("layerBalancednessReplica",
                copy_out(ev.layer_balancedness_replica.data(), ev.layer_balancedness_replica.size()));
        out.set("layerUpperBound", copy_out(ev.layer_upper_bound.data(), ev.layer_upper_bound.size()));
        out.set("layerMaxGpuLoad", copy_out(ev.layer_max_gpu_load.data(), ev.layer_max_gpu_load.size()));
        out.set("gpuLoads", copy_out(ev.gpu_loads.data(), ev.gpu_loads.size()));
        val failed = val::array();
        for (int64_t g : ev.failed_gpus) failed.call<void>("push", double(g));
        out.set("failedGpus", failed);
        if (ev.moved_slots) {
            const std::vector<int32_t> layer_moved(ev.layer_moved_slots.begin(), ev.layer_moved_slots.end());
            out.set("movedSlots", double(*ev.moved_slots));
            out.set("layerMovedSlots", copy_out(layer_moved.data(), layer_moved.size()));
        } else {
            out.set("movedSlots", val::null());
            out.set("layerMovedSlots", val::null());
        }
        return out;
    });
}

}  // namespace
}  // namespace eplb::wasm

EMSCRIPTEN_BINDINGS(eplb_evaluate) {
    emscripten::function("evaluate", &eplb::wasm::evaluate_js);
}

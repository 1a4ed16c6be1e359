// The evaluate measures as JSON with the core's snake_case keys (the CLI's `evaluate` and
// `--stats`, the dashboard's measures download): per-layer vectors and GPU loads as nested arrays.
import { nest } from './placement-json.js';
import { fail } from './validate.js';

/** An evaluation returned by evaluate() as a plain JSON object of snake_case keys. */
export function evaluationToJSON(ev) {
  if (!ev || !(ev.gpuLoads instanceof Float64Array) || !(ev.layerBalancednessGpu instanceof Float64Array))
    fail('evaluationToJSON takes an evaluation returned by evaluate');
  const layers = ev.layerBalancednessGpu.length;
  const gpus = layers ? ev.gpuLoads.length / layers : 0;
  const out = {
    balancedness_gpu: ev.balancednessGpu,
    balancedness_replica: ev.balancednessReplica,
    upper_bound: ev.upperBound,
    gap_to_bound: ev.gapToBound,
    home_node_fraction: ev.homeNodeFraction,
    max_gpu_load: ev.maxGpuLoad,
    moved_slots: ev.movedSlots,
    layer_balancedness_gpu: Array.from(ev.layerBalancednessGpu),
    layer_balancedness_replica: Array.from(ev.layerBalancednessReplica),
    layer_upper_bound: Array.from(ev.layerUpperBound),
    layer_max_gpu_load: Array.from(ev.layerMaxGpuLoad),
    gpu_loads: nest(ev.gpuLoads, gpus),
  };
  if (ev.layerMovedSlots) out.layer_moved_slots = Array.from(ev.layerMovedSlots);
  if (ev.failedGpus?.length) out.failed_gpus = Array.from(ev.failedGpus);
  return out;
}

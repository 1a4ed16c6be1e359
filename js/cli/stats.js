// The evaluate measures as snake_case JSON, per-layer vectors and GPU loads as nested arrays.
import { nest } from '../placement-json.js';

export function statsJSON(ev, gpus) {
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

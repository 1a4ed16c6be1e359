// Types of the entry point eplb-wasm/trtllm (hand-written, like index.d.ts).
import type { PlacementJSON, PlacementLike } from './index.js';

export interface TRTLLMOptions {
  /** The model layer index of each placement row (e.g. LoadFile.keptLayers); default 0..layers-1. */
  layers?: ArrayLike<number>;
}

/**
 * TensorRT-LLM's LLM API options as YAML text: moe_config.load_balancer with num_slots,
 * layer_updates_per_iter 0 and initial_global_assignments {layer index: expert of each slot}.
 * Throws EplbError for a bad placement or layer list.
 */
export declare function placementToTRTLLM(placement: PlacementLike | PlacementJSON, options?: TRTLLMOptions): string;

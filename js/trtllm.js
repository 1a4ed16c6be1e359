// A placement as TensorRT-LLM's LLM API options (YAML): moe_config.load_balancer with num_slots,
// layer_updates_per_iter 0 (a static placement) and initial_global_assignments, the expert of
// each slot keyed by the model's layer index. Written with the `yaml` library, so it is its own
// entry point (`eplb-wasm/trtllm`): the package's browser entry keeps no bare import and loads
// unbundled in a page.
import { Document, visit } from 'yaml';
import * as v from './validate.js';

// The model layer index of each placement row: options.layers, else 0..L-1.
function layerKeys(layers, count) {
  if (layers === undefined || layers === null) return Array.from({ length: count }, (_, l) => l);
  if (!Array.isArray(layers) && !ArrayBuffer.isView(layers)) v.fail('options.layers must be an array of layer indices');
  if (layers.length !== count)
    v.fail(`options.layers has ${layers.length} layer indices, the placement has ${count} layers`);
  const seen = new Set();
  for (const k of layers) {
    if (!Number.isInteger(k) || k < 0) v.fail(`options.layers must hold non-negative integers, got ${String(k)}`);
    if (seen.has(k)) v.fail(`options.layers names layer ${k} twice`);
    seen.add(k);
  }
  return Array.from(layers);
}

const slotRow = (ph, l) => (ph.nested ? Array.from(ph.data[l]) : Array.from(ph.data.subarray(l * ph.replicas, (l + 1) * ph.replicas)));

/**
 * placement: a placement (typed, or a SPEC section 2 object with nested phy2log); options.layers:
 * the model layer index of each of its rows (e.g. a load file's keptLayers). Returns YAML text.
 */
export function placementToTRTLLM(placement, options) {
  const o = v.options(options, 'options');
  const ph = v.phy2log(placement, 'placement');
  const keys = layerKeys(o.layers, ph.layers);
  for (let l = 0; l < ph.layers; l++)
    if (slotRow(ph, l).some((e) => e < 0))
      v.fail('TensorRT-LLM options cannot express failed GPUs: initial_global_assignments gives every slot of every ' +
        'rank an expert (docs/failures.md); place for the GPUs TensorRT-LLM starts with, or write the JSON placement');
  const assignments = new Map();
  keys.forEach((k, l) => assignments.set(k, slotRow(ph, l)));
  const doc = new Document({
    moe_config: { load_balancer: { num_slots: ph.replicas, layer_updates_per_iter: 0, initial_global_assignments: assignments } },
  });
  // One line per layer: the slots' experts as a flow sequence.
  visit(doc, { Seq(_, node) { node.flow = true; } });
  const gpus = placement.gpus ?? placement.num_gpus;
  const where = gpus ? ` on ${gpus} GPUs (slot s on GPU s / ${ph.replicas / gpus})` : '';
  const algorithm = placement.algorithm ? `, algorithm ${placement.algorithm}` : '';
  doc.commentBefore = ` TensorRT-LLM LLM API options written by eplb-wasm: a static expert placement of ${ph.replicas} slots${where}${algorithm}.\n` +
    ' initial_global_assignments: model layer index -> the logical expert of each slot.';
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

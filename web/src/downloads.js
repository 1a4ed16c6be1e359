// Downloads: a placement as SPEC section 2 JSON and all measures, written by the package's own
// writers (the CLI's keys), with what the page adds (source file, kept layers, times).
import { placementToJSON } from '../../js/placement-json.js';
import { evaluationToJSON } from '../../js/evaluation-json.js';

export function placementDocument(run, input) {
  return { ...placementToJSON(run.placement), source: input.name, source_layers: input.keptLayers };
}

export function measuresDocument(result, topology) {
  const { input, runs } = result;
  return {
    input: { name: input.name, format: input.format, layers: input.layers, experts: input.experts, source_layers: input.keptLayers },
    topology: { num_replicas: topology.replicas, num_groups: topology.groups, num_nodes: topology.nodes, num_gpus: topology.gpus, policy: topology.policy },
    results: runs.map((r) => ({
      algorithm: r.algorithm,
      ...evaluationToJSON(r.evaluation),
      next_window_gpu: r.evaluation.nextWindowGpu,
      max_replicas: r.placement.maxReplicas,
      rebalance_ms: r.timeMs,
      evaluate_ms: r.evalMs,
    })),
  };
}

export function saveJson(filename, doc) {
  const blob = new Blob([JSON.stringify(doc)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function saveText(filename, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

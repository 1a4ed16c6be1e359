// The worker's plan jobs. 'plan': reads the chosen load files as one history (oldest first,
// all-zero layers left out) and runs the package's plan() over it, posting progress.
// 'planPlacement': the placement of one plan row (rebalance of the same history with the row's
// settings), as the SPEC section 2 JSON (with kept_layers) and as TensorRT-LLM YAML.
//   plan:          { sources: [{ name, url } | { name, text }], topology: { groups, nodes, gpus }, redundant, algorithms, policies }
//   planPlacement: { sources, topology, row: { replicas, algorithm, policy } }
import { readHistory, historyArgument } from '../../../js/load-history.js';
import { placementToTRTLLM } from '../../../js/trtllm.js';

// The history of the last sources read, so that a row's placement needs no second reading.
let cached = { key: null, history: null };

async function historyOf(eplb, sources, readSource, progress) {
  const key = JSON.stringify(sources.map((s) => [s.name, s.url ?? s.text.length]));
  if (cached.key === key) return cached.history;
  const texts = [];
  for (const [i, s] of sources.entries()) {
    progress(`reading ${s.name} (${i + 1} of ${sources.length})`);
    texts.push({ name: s.name, text: await readSource(s) });
  }
  const history = readHistory(eplb, texts, { dropDense: true });
  if (!history.first.layers) throw new Error('every layer of the files is all zero');
  cached = { key, history };
  return history;
}

export async function planJob(eplb, msg, readSource, post, message) {
  let stage = 'read';
  try {
    if (!msg.sources || !msg.sources.length) throw new Error('choose at least one load file');
    const h = await historyOf(eplb, msg.sources, readSource, (label) => post({ type: 'progress', done: 0, total: 1, label }));
    stage = 'rebalance';
    const { groups, nodes, gpus } = msg.topology;
    const plan = eplb.plan(historyArgument(h), {
      gpus, nodes, groups, redundant: msg.redundant, algorithms: msg.algorithms, policies: msg.policies,
      onProgress: (done, total, label) => post({ type: 'progress', done, total, label }),
    });
    const input = { names: h.names, layers: h.first.layers, experts: h.first.experts, keptLayers: Array.from(h.keptLayers) };
    post({ type: 'result', input, plan });
  } catch (err) {
    post({ type: 'error', stage, message: message(err) });
  }
}

export async function planPlacementJob(eplb, msg, readSource, post, message) {
  let stage = 'read';
  try {
    const h = await historyOf(eplb, msg.sources, readSource, () => {});
    stage = 'rebalance';
    const { row, topology } = msg;
    const p = eplb.rebalance(historyArgument(h), { replicas: row.replicas, groups: topology.groups, nodes: topology.nodes, gpus: topology.gpus, algorithm: row.algorithm, policy: row.policy });
    const layers = Array.from(h.keptLayers);
    const json = { ...eplb.placementToJSON(p), kept_layers: layers };
    post({ type: 'result', placement: json, trtllm: placementToTRTLLM(p, { layers }) });
  } catch (err) {
    post({ type: 'error', stage, message: message(err) });
  }
}

// Compiled with `tsc --noEmit -p tests/js` against the hand-written declarations: a typical use
// of every function, and misuses that must not compile (@ts-expect-error).
import { loadEplb, EplbError } from 'eplb-wasm';
import type { ByteSource, Eplb, Evaluation, LoadFile, Placement, PlacementJSON, PlanChoice, PlanResult, PlanRow, Policy } from 'eplb-wasm';
import wasmUrl from 'eplb-wasm/eplb.wasm';
import { placementToTRTLLM } from 'eplb-wasm/trtllm';

async function main(): Promise<void> {
  const eplb: Eplb = await loadEplb();
  const p: Placement = eplb.rebalance([[1, 2, 3, 4]], { replicas: 4, groups: 2, nodes: 1, gpus: 2, algorithm: 'deepseek' });
  const slots: Int32Array = p.phy2log;
  const m: number = p.maxReplicas;
  const typed = eplb.rebalance({ data: new Float32Array(4), layers: 1, experts: 4 }, { replicas: 4, gpus: 2, policy: 'global' });
  const again = eplb.rebalance([[1, 2, 3, 4]], { replicas: 4, gpus: 2, previous: typed, maxMoves: 1, tolerance: 0.01 });
  const ev: Evaluation = eplb.evaluate(p, [[1, 2, 3, 4]], { previous: again });
  const perLayer: Float64Array = ev.layerBalancednessGpu;
  const moved: number | null = ev.movedSlots;
  const foreign = eplb.evaluate({ phy2log: [[0, 1, 2, 3]] }, [[1, 2, 3, 4]], { gpus: 2 });
  const w: LoadFile = eplb.readLoads('[[1, 2]]', { dropDense: true, window: { begin: 0, end: 2 } });
  const format: 'matrix' | 'weight' | 'logical_count' | 'load_history' = w.format;
  const json: PlacementJSON = eplb.placementToJSON(p);
  const back: Placement = eplb.placementFromJSON(json, { gpus: 2 });
  const predicted = eplb.predictLoads([[[1, 2]], { data: new Float64Array(2), layers: 1, experts: 2 }], { predictor: 'sum' });
  const names: string[] = [...eplb.algorithms(), ...eplb.predictors(), ...eplb.algorithmInfo().map((a) => `${a.name}: ${a.summary}`)];
  const heap: number = eplb.heapStats().inUse;
  const windows = eplb.readLoads('{"load_history": [[[1, 2]]]}', { windowSteps: 1 }).windows ?? [];
  const fromHistory: Placement = eplb.rebalance([[[1, 2]], ...windows], { replicas: 2, gpus: 1 });
  // Failed GPUs: -1 slots; the placement and its evaluation list them.
  const degraded = eplb.rebalance([[1, 2, 3, 4]], { replicas: 6, gpus: 3, failedGpus: [2], previous: typed });
  const dead: number[] = degraded.failedGpus;
  const deadToo: number[] = eplb.evaluate(degraded, [[1, 2, 3, 4]]).failedGpus;
  const written: number[] | undefined = eplb.placementToJSON(degraded).failed_gpus;
  console.log(dead, deadToo, written);
  // @ts-expect-error failedGpus is an array of GPU indices
  eplb.rebalance([[1, 2]], { replicas: 2, gpus: 1, failedGpus: 0 });
  const onSum: Evaluation = eplb.evaluate(fromHistory, windows);
  console.log(onSum.balancednessGpu);
  const source: ByteSource = { read: (into: Uint8Array) => into.length && 0 };
  const streamed: LoadFile = eplb.readLoads(source);
  const fromBytes = eplb.placementFromJSON(new TextEncoder().encode(JSON.stringify(json)));
  eplb.rebalance([[1, 2]], { replicas: 2, gpus: 1, onProgress: (done: number, total: number) => console.log(done, total) });
  const where: string = wasmUrl;
  console.log(streamed.layers, fromBytes.layers, where);
  // @ts-expect-error options take only their declared keys
  eplb.rebalance([[1, 2]], { replicas: 2, gpus: 1, group: 2 });
  // @ts-expect-error a reader returns the number of bytes
  eplb.readLoads({ read: (into: Uint8Array) => into });
  const plan: PlanResult = eplb.plan([[[1, 2]], [[2, 1]], [[1, 1]]], {
    gpus: 1, redundant: [0, 2], algorithms: ['deepseek'], policies: ['auto', 'hybrid'], expertBytes: 1e6,
    previous: fromHistory, onProgress: (done: number, total: number, label: string) => console.log(done, total, label),
  });
  const row: PlanRow = plan.rows[0];
  const next: number | null = row.nextWindowGpu;
  const choice: PlanChoice = plan.choices[0];
  const policyNames: Policy[] = eplb.policies('deepseek');
  const yaml: string = placementToTRTLLM(p, { layers: w.keptLayers });
  console.log(next, choice.measure, policyNames, yaml.length, plan.notes.join());
  console.log(slots, m, ev, perLayer, moved, foreign, format, back, predicted.data, names, heap);

  // @ts-expect-error replicas is required
  eplb.rebalance([[1, 2]], { gpus: 2 });
  // @ts-expect-error weights must be numbers
  eplb.rebalance([['1', '2']], { replicas: 2, gpus: 1 });
  // @ts-expect-error policy names are fixed
  eplb.rebalance([[1, 2]], { replicas: 2, gpus: 1, policy: 'fastest' });
  // @ts-expect-error the planner needs the number of GPUs
  eplb.plan([[1, 2]], { redundant: [0] });
  // @ts-expect-error redundant is a list of numbers
  eplb.plan([[1, 2]], { gpus: 1, redundant: '0,32' });
  // @ts-expect-error data must be a float typed array
  eplb.rebalance({ data: new Int32Array(2), layers: 1, experts: 2 }, { replicas: 2, gpus: 1 });

  try {
    eplb.rebalance([[1, 2]], { replicas: 1, gpus: 1 });
  } catch (e) {
    if (e instanceof EplbError) {
      const code: 'invalid-input' | 'limit-exceeded' | 'out-of-memory' | 'internal' = e.code;
      console.log(code, e.message);
    }
  }
  await loadEplb({ wasmBinary: new Uint8Array(0), locateFile: (path, prefix) => prefix + path });
}

void main();

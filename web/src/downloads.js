// Downloads: a placement as SPEC section 2 JSON (nested arrays plus topology), and all measures.

function rows(flat, n, width) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Array.from(flat.subarray(i * width, (i + 1) * width));
  return out;
}

export function placementDocument(run, input) {
  const p = run.placement;
  const L = p.layers, E = p.experts, R = p.replicas, M = p.maxReplicas;
  const log2phy = rows(p.log2phy, L * E, M);
  return {
    phy2log: rows(p.phy2log, L, R),
    log2phy: Array.from({ length: L }, (_, l) => log2phy.slice(l * E, (l + 1) * E)),
    logcnt: rows(p.logcnt, L, E),
    num_replicas: R,
    num_groups: p.groups,
    num_nodes: p.nodes,
    num_gpus: p.gpus,
    algorithm: run.algorithm,
    ...(p.failedGpus?.length ? { failed_gpus: p.failedGpus } : {}),
    source: input.name,
    source_layers: input.keptLayers,
  };
}

export function measuresDocument(result, topology) {
  const { input, runs } = result;
  return {
    input: { name: input.name, format: input.format, layers: input.layers, experts: input.experts, source_layers: input.keptLayers },
    topology: { num_replicas: topology.replicas, num_groups: topology.groups, num_nodes: topology.nodes, num_gpus: topology.gpus, policy: topology.policy },
    results: runs.map((r) => {
      const e = r.evaluation;
      const perLayer = {};
      for (const [k, v] of Object.entries(e)) if (ArrayBuffer.isView(v) && k !== 'gpuLoads') perLayer[k] = Array.from(v);
      const scalars = {};
      for (const [k, v] of Object.entries(e)) if (typeof v === 'number') scalars[k] = v;
      const G = topology.gpus;
      return {
        algorithm: r.algorithm,
        ...scalars,
        maxReplicas: r.placement.maxReplicas,
        rebalanceMs: r.timeMs,
        evaluateMs: r.evalMs,
        perLayer,
        gpuLoads: e.gpuLoads ? rows(e.gpuLoads, input.layers, G) : undefined,
      };
    }),
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

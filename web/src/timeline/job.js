// The worker's timeline job: builds the windows from the requested series, runs the three
// strategies over them, and posts progress and the result.
//   series: { kind: 'synthetic', layers, experts, windows, seed }
//         | { kind: 'files', files: [{ name, url }] }              (the bundled dumps, in order)
//         | { kind: 'history', name, text, steps }                 (a load_history file, K steps per window)
import { syntheticWindows, historyWindows, fileWindows, SeriesError } from './series.js';
import { runTimeline } from './run.js';

async function buildSeries(eplb, series, readSource, progress) {
  if (series.kind === 'synthetic') {
    progress('generating the synthetic series');
    return syntheticWindows(series);
  }
  if (series.kind === 'history') {
    progress(`reading ${series.name}`);
    return historyWindows(eplb, series.name, series.text, series.steps);
  }
  if (series.kind === 'files') {
    const files = [];
    for (const [i, f] of series.files.entries()) {
      progress(`reading ${f.name} (${i + 1} of ${series.files.length})`);
      files.push({ name: f.name, text: await readSource(f) });
    }
    return fileWindows(eplb, files);
  }
  throw new SeriesError(`unknown series "${series.kind}"`);
}

export async function timelineJob(eplb, { series, topology, predictor, history }, readSource, post, message) {
  let stage = 'read';
  try {
    const s = await buildSeries(eplb, series, readSource, (label) => post({ type: 'progress', done: 0, total: 1, label }));
    stage = 'rebalance';
    const timeline = runTimeline(eplb, s.windows, topology, { predictor, history },
      (done, total, label) => post({ type: 'progress', done, total, label }));
    const input = { kind: series.kind, name: series.name || null, description: s.description, names: s.names, layers: s.layers, experts: s.experts, windows: s.windows.length };
    post({ type: 'result', input, timeline });
  } catch (err) {
    post({ type: 'error', stage, message: message(err) });
  }
}

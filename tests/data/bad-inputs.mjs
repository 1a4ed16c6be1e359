// How a row of tests/data/bad-inputs.json becomes a call of each entry point: shared by
// tests/js/bad-inputs.test.mjs and scripts/bad-inputs-table.mjs, so that the table in
// docs/bad-input.md shows what the tests run.
export const forEntry = (c, where) => !c.only || c.only.includes(where);

/** [readLoads options, rebalance options] of a row. */
export function jsCall(c) {
  const [replicas, groups, nodes, gpus] = c.topology;
  const read = c.read ?? {};
  const options = { replicas, groups, nodes, gpus, ...(c.algorithm && { algorithm: c.algorithm }), ...(c.policy && { policy: c.policy }),
    ...(c.failed && { failedGpus: c.failed }), ...c.options };
  return [read, options];
}

/** The CLI arguments of a row after `eplb rebalance FILE` (input: the load file's path). */
export function cliArgs(c, input) {
  const [replicas, groups, nodes, gpus] = c.topology;
  const args = ['rebalance', input, '--replicas', replicas, '--groups', groups, '--nodes', nodes, '--gpus', gpus].map(String);
  if (c.algorithm) args.push('--algorithm', c.algorithm);
  if (c.policy) args.push('--policy', c.policy);
  if (c.failed) args.push('--failed-gpus', c.failed.join(','));
  if (c.read?.windowSteps !== undefined) args.push('--window', String(c.read.windowSteps));
  if (c.options?.maxMoves !== undefined) args.push('--max-moves', String(c.options.maxMoves));
  if (c.options?.tolerance !== undefined) args.push('--tolerance', String(c.options.tolerance));
  return args;
}

/** The arguments of a CLI-only row, $FILE replaced by the path of its file. */
export const cliCaseArgs = (c, input) => c.args.map((a) => (a === '$FILE' ? input : a));

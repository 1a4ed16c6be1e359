// The load files of a command: one file, or several that make a history (oldest first), each
// read by the core; a load_history file with --window K gives K-step windows.
import { historyArgument, readHistory } from '../load-history.js';
import { UsageError } from './args.js';
import { readText } from './io.js';

/**
 * files: paths ('-' is standard input, at most once). Returns what readHistory returns
 * ({ windows, first, keptLayers, topology, names }).
 */
export function readInputs(eplb, files, { dropDense = false, window } = {}) {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  const sources = files.map((file) => ({ name: file === '-' ? 'standard input' : file, text: readText(file, 'load file') }));
  return readHistory(eplb, sources, { dropDense, windowSteps: window });
}

/** The history argument of rebalance and evaluate: one matrix alone, else the windows. */
export const loadsArgument = historyArgument;

// The load files of a command: one file, or several that make a history (oldest first), each
// read by the core as a stream (never whole in memory, js/load-history.js); a load_history file
// with --window K gives K-step windows.
import { historyArgument, readHistory } from '../load-history.js';
import { UsageError } from './args.js';
import { fileReader } from './io.js';

/**
 * A reader of `file` opened when the core first asks for its bytes: the files of a history are
 * read one after the other, each announced to `progress` when its turn comes.
 */
function lazyReader(file, name, progress, opened) {
  let reader = null;
  return {
    read(into) {
      if (!reader) {
        progress?.stage(`reading ${name}`);
        reader = fileReader(file, 'load file', (done, total) => progress?.update(done, total));
        opened.push(reader);
      }
      return reader.read(into);
    },
  };
}

/**
 * files: paths ('-' is standard input, at most once). Returns what readHistory returns
 * ({ windows, first, keptLayers, topology, names }). progress (see progress.js), when given,
 * sees each file's bytes.
 */
export function readInputs(eplb, files, { dropDense = false, window, progress } = {}) {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  // A file that cannot be opened is named before any is read.
  for (const file of files) if (file !== '-') fileReader(file, 'load file').close();
  const opened = [];
  const names = files.map((file) => (file === '-' ? 'standard input' : file));
  const sources = files.map((file, i) => ({ name: names[i], text: lazyReader(file, names[i], progress, opened) }));
  try {
    return readHistory(eplb, sources, { dropDense, windowSteps: window });
  } catch (e) {
    // The CLI names its flag: "--window applies to load_history files; F is a 'matrix' file".
    const plain = window !== undefined && /a window of steps applies to a load_history file; this is a '(\w+)' file/.exec(e.message ?? '');
    if (plain) throw new UsageError(`--window applies to load_history files; ${names[opened.length - 1] ?? names[0]} is a '${plain[1]}' file`);
    throw e;
  } finally {
    for (const r of opened) r.close();
  }
}

/** The history argument of rebalance and evaluate: one matrix alone, else the windows. */
export const loadsArgument = historyArgument;

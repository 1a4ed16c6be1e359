// Node entry point: the CommonJS build of the module, its .wasm read from the package folder.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import createEplbModule from './generated/eplb-node.cjs';
import { createApi } from './api.js';
import { EplbError } from './errors.js';
import { checkedBinary, instantiate } from './load.js';
import { options as checkOptions } from './validate.js';

export { EplbError } from './errors.js';

const here = new URL('./generated/', import.meta.url);
const REASONS = { ENOENT: 'no such file', EISDIR: 'a directory', EACCES: 'permission denied', ENOTDIR: 'not a directory' };

async function wasmFile(locateFile) {
  if (locateFile !== undefined && typeof locateFile !== 'function')
    throw new EplbError(`loadEplb: locateFile must be a function (path, prefix) returning where eplb.wasm is, got ${typeof locateFile}`);
  let where = locateFile ? locateFile('eplb.wasm', fileURLToPath(here)) : new URL('eplb.wasm', here);
  if (!(where instanceof URL) && String(where).startsWith('file:')) where = new URL(where);
  const shown = where instanceof URL ? fileURLToPath(where) : String(where);
  try {
    return checkedBinary(await readFile(where), `the file ${shown}`);
  } catch (e) {
    if (e instanceof EplbError) throw e;
    // Without locateFile the package's own file is missing: a broken install, not the caller's mistake.
    throw new EplbError(`loadEplb: cannot read eplb.wasm at ${shown} (${REASONS[e.code] ?? e.message}); ` +
      'pass locateFile (a function returning its path) or wasmBinary (its bytes)', locateFile ? 'invalid-input' : 'internal');
  }
}

export async function loadEplb(options) {
  const o = checkOptions(options, 'loadEplb options', ['wasmBinary', 'locateFile']);
  const bytes = o.wasmBinary !== undefined && o.wasmBinary !== null ? checkedBinary(o.wasmBinary) : await wasmFile(o.locateFile);
  return createApi(await instantiate(createEplbModule, async () => bytes));
}

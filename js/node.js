// Node entry point: the CommonJS build of the module, its .wasm read from the package folder.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import createEplbModule from './generated/eplb-node.cjs';
import { createApi } from './api.js';
import { options as checkOptions } from './validate.js';

export { EplbError } from './errors.js';

const here = new URL('./generated/', import.meta.url);

export async function loadEplb(options) {
  const o = checkOptions(options, 'loadEplb options');
  let { wasmBinary } = o;
  if (!wasmBinary) {
    const where = o.locateFile ? o.locateFile('eplb.wasm', fileURLToPath(here)) : new URL('eplb.wasm', here);
    wasmBinary = await readFile(where instanceof URL || !String(where).startsWith('file:') ? where : new URL(where));
  }
  return createApi(await createEplbModule({ wasmBinary }));
}

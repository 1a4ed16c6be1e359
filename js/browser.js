// Browser (and bundler) entry point: the ES module build, its .wasm fetched next to this file
// unless the caller passes wasmBinary or locateFile.
import createEplbModule from './generated/eplb-web.mjs';
import { createApi } from './api.js';
import { options as checkOptions } from './validate.js';

export { EplbError } from './errors.js';

export async function loadEplb(options) {
  const o = checkOptions(options, 'loadEplb options');
  const settings = o.wasmBinary
    ? { wasmBinary: o.wasmBinary }
    : { locateFile: o.locateFile ?? ((path) => new URL(`./generated/${path}`, import.meta.url).href) };
  return createApi(await createEplbModule(settings));
}

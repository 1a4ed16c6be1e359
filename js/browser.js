// Browser (and bundler) entry point: the ES module build, its .wasm fetched next to this file
// unless the caller passes wasmBinary or locateFile.
import createEplbModule from './generated/eplb-web.mjs';
import { createApi } from './api.js';
import { EplbError } from './errors.js';
import { checkedBinary, instantiate } from './load.js';
import { options as checkOptions } from './validate.js';

export { EplbError } from './errors.js';

function wasmResponse(locateFile) {
  if (locateFile !== undefined && typeof locateFile !== 'function')
    throw new EplbError(`loadEplb: locateFile must be a function (path, prefix) returning the URL of eplb.wasm, got ${typeof locateFile}`);
  const prefix = new URL('./generated/', import.meta.url).href;
  const url = String(locateFile ? locateFile('eplb.wasm', prefix) : new URL('eplb.wasm', prefix).href);
  const hint = 'pass locateFile (a function returning the URL the file is served at) or wasmBinary (its bytes)';
  return async () => {
    let response;
    try {
      response = await fetch(url, { credentials: 'same-origin' });
    } catch (e) {
      throw new EplbError(`loadEplb: could not fetch eplb.wasm from ${url} (${e.message}); ${hint}`, locateFile ? 'invalid-input' : 'internal');
    }
    if (!response.ok) throw new EplbError(`loadEplb: could not fetch eplb.wasm from ${url} (HTTP ${response.status}); ${hint}`, locateFile ? 'invalid-input' : 'internal');
    return response;
  };
}

export async function loadEplb(options) {
  const o = checkOptions(options, 'loadEplb options', ['wasmBinary', 'locateFile']);
  let source;
  if (o.wasmBinary !== undefined && o.wasmBinary !== null) {
    const bytes = checkedBinary(o.wasmBinary);
    source = async () => bytes;
  } else {
    source = wasmResponse(o.locateFile);
  }
  return createApi(await instantiate(createEplbModule, source));
}

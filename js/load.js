// Instantiating the Emscripten module, shared by the Node and the browser entry points. The
// package compiles and instantiates eplb.wasm itself (Emscripten's instantiateWasm hook), so
// that a missing file, a file that is not WebAssembly or one from another build is one
// EplbError naming what to pass (wasmBinary, locateFile), not an Emscripten abort with lines
// on stderr.
import { EplbError } from './errors.js';

const bytesOf = (b) => (b instanceof ArrayBuffer ? new Uint8Array(b) : ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : null);

/** The bytes of options.wasmBinary (or of a file: `what` names it), checked: WebAssembly, and valid. */
export function checkedBinary(binary, what = 'wasmBinary') {
  const bytes = bytesOf(binary);
  if (!bytes)
    throw new EplbError(`loadEplb: ${what} must be the bytes of eplb.wasm (an ArrayBuffer or a Uint8Array), got ${binary === null ? 'null' : Array.isArray(binary) ? 'an array' : typeof binary}`);
  const magic = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (!magic) {
    const head = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new EplbError(`loadEplb: ${what} is not WebAssembly (${bytes.length} bytes starting ${head || '(none)'}; eplb.wasm starts 00 61 73 6d)`);
  }
  if (!WebAssembly.validate(bytes)) throw new EplbError(`loadEplb: ${what} is not a valid WebAssembly module (${bytes.length} bytes; a truncated or damaged copy of eplb.wasm?)`);
  return bytes;
}

/**
 * factory: Emscripten's module factory; source: async () => bytes, or a fetch Response (its
 * failure already turned into an EplbError by the caller). Returns the module.
 */
export function instantiate(factory, source) {
  const messages = [];
  let failed;
  const failure = new Promise((_, reject) => (failed = reject));
  const module = factory({
    print: () => {},
    printErr: (m) => messages.length < 20 && messages.push(String(m)),
    instantiateWasm(imports, receive) {
      (async () => {
        const input = await source();
        try {
          const { instance, module: compiled } =
            input instanceof Uint8Array ? await WebAssembly.instantiate(input, imports) : await instantiateResponse(input, imports);
          receive(instance, compiled);
        } catch (e) {
          if (e instanceof EplbError) throw e;
          const kind = e instanceof WebAssembly.LinkError || e instanceof TypeError ? 'is not the eplb.wasm of this version of the package' : 'could not be instantiated';
          throw new EplbError(`loadEplb: the WebAssembly module ${kind} (${String(e?.message ?? e).split('\n')[0]})`, 'invalid-input');
        }
      })().catch(failed);
      return {};
    },
  });
  return Promise.race([module, failure]).catch((e) => {
    if (e instanceof EplbError) throw e;
    throw new EplbError(`loadEplb: the WebAssembly module did not start (${String(e?.message ?? e).split('\n')[0]})`, 'internal');
  });
}

async function instantiateResponse(response, imports) {
  if (typeof WebAssembly.instantiateStreaming === 'function' && /application\/wasm/.test(response.headers.get('content-type') || '')) {
    try {
      return await WebAssembly.instantiateStreaming(response.clone(), imports);
    } catch {
      // a server sending the right type but other bytes: the error below says what they are
    }
  }
  return WebAssembly.instantiate(checkedBinary(await response.arrayBuffer(), `the file at ${response.url}`), imports);
}

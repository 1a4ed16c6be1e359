// The bytes of a file for the core's streaming readers: the core asks for a chunk at a time
// (bindings/glue.hpp js_reader), so a file is never held whole in the WASM heap, and a reader
// (e.g. over fs.readSync) need not hold it anywhere.
import { EplbError } from './errors.js';
import { fail } from './validate.js';

const describe = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * A function filling a Uint8Array with the next bytes and returning how many (0 at the end), from
 * a string (UTF-8 encoded a chunk at a time), bytes (Uint8Array, any ArrayBuffer view,
 * ArrayBuffer) or a { read(into: Uint8Array): number } reader.
 */
export function readerOf(input, what) {
  if (typeof input === 'string') return stringReader(input);
  if (input instanceof ArrayBuffer) input = new Uint8Array(input);
  else if (ArrayBuffer.isView(input) && !(input instanceof Uint8Array))
    input = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof Uint8Array) {
    let at = 0;
    return (into) => {
      const n = Math.min(into.length, input.length - at);
      into.set(input.subarray(at, at + n));
      at += n;
      return n;
    };
  }
  if (input !== null && typeof input === 'object' && typeof input.read === 'function') return (into) => input.read(into);
  return fail(`${what} takes the text of a file: a string, a Uint8Array or a { read(bytes) } reader, got ${describe(input)}`);
}

function stringReader(text) {
  const encoder = new TextEncoder();
  let at = 0;
  return (into) => {
    if (at >= text.length) return 0;
    let end = Math.min(text.length, at + into.length);
    // Never cut a surrogate pair in two: encodeInto would write U+FFFD for each half.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    const { read, written } = encoder.encodeInto(end - at === text.length ? text : text.substring(at, end), into);
    at += read;
    return written;
  };
}

/** Errors of the caller's own callbacks (readers, onProgress), thrown as they are: not traps. */
export const callerErrors = new WeakSet();
export const callerError = (e) => {
  if (e !== null && typeof e === 'object') callerErrors.add(e);
  return e;
};

/**
 * Calls fn(callback) with the glue's callback over `input`; an error of the reader is kept and
 * thrown here, after the core has unwound (a JS exception must not cross WebAssembly frames).
 */
export function withReader(Module, input, what, fn) {
  const read = readerOf(input, what);
  let failure = null;
  const callback = (ptr, capacity) => {
    try {
      const n = read(new Uint8Array(Module.HEAPU8.buffer, ptr, capacity));
      if (!Number.isInteger(n) || n < 0 || n > capacity)
        throw new EplbError(`read() must return the number of bytes it wrote (0 to ${capacity}), got ${n}`);
      return n;
    } catch (e) {
      failure = e;
      return -1;
    }
  };
  let result;
  try {
    result = fn(callback);
  } finally {
    if (failure) throw callerError(failure);
  }
  return result;
}

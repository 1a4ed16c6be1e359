// Copies into and out of the WASM heap. Every buffer malloc'd here is freed by withBuffers,
// whatever happens in between.
import { EplbError } from './errors.js';

/**
 * Allocates one heap buffer per spec ({ kind: 'f64' | 'i32', source, length }, or null for
 * "none", passed as pointer 0), fills it from `source` (a typed array, or an array of rows, plain
 * or typed, laid end to end; no source: an output buffer, left as malloc gives it), calls
 * fn(pointers) and frees the buffers.
 */
export function withBuffers(Module, specs, fn) {
  const pointers = [];
  try {
    for (const spec of specs) {
      if (!spec) {
        pointers.push(0);
        continue;
      }
      const bytes = spec.length * (spec.kind === 'f64' ? 8 : 4);
      const ptr = Module._malloc(Math.max(bytes, 8));
      if (!ptr) throw new EplbError('out of memory', 'out-of-memory');
      pointers.push(ptr);
      if (spec.source !== undefined) fill(Module, spec, ptr);
    }
    return fn(pointers);
  } finally {
    for (const ptr of pointers) if (ptr) Module._free(ptr);
  }
}

function fill(Module, { kind, source, length }, ptr) {
  // Views are taken after malloc: growing memory replaces Module.HEAP*.
  const heap = kind === 'f64' ? Module.HEAPF64 : Module.HEAP32;
  const start = ptr / heap.BYTES_PER_ELEMENT;
  if (!Array.isArray(source)) {
    heap.set(source, start);
    return;
  }
  let at = start;
  for (const row of source) {
    heap.set(row, at);
    at += row.length;
  }
  if (at - start !== length) throw new EplbError('internal error: buffer size mismatch', 'internal');
}

/** Unwraps a glue result: { error, code } becomes a thrown EplbError. */
export function unwrap(result) {
  if (result && typeof result.error === 'string') throw new EplbError(result.error, result.code);
  return result;
}

// File input and output for the CLI: inputs read in chunks (never whole), outputs written as a
// stream, to stdout or whole-or-not-at-all to a file; readable errors.
import { closeSync, fstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { limit } from '../limits.js';
import { UsageError } from './args.js';


const REASONS = {
  ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device', EROFS: 'read-only file system', EFBIG: 'file too large', EIO: 'input/output error',
};
export const reason = (e) => REASONS[e.code] ?? e.message;

/** The reader's output ended because nobody reads it (`| head`): the command stops quietly. */
export class ClosedOutput extends Error {}

// A blocking pause for EAGAIN on a non-blocking pipe (stdin or stdout shared with a parent).
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * A { read(into) } reader over `file` ('-': standard input) for the core's streaming readers;
 * `onBytes(done, total)` sees the progress (total: the size, or 0 when unknown). Errors are
 * UsageErrors naming the file.
 */
export function fileReader(file, what, onBytes = () => {}) {
  const name = file === '-' ? 'standard input' : file;
  let fd = 0;
  let total = 0;
  if (file !== '-') {
    try {
      fd = openSync(file, 'r');
      const st = fstatSync(fd);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      total = st.isFile() ? st.size : 0;
    } catch (e) {
      if (fd) closeSync(fd);
      throw new UsageError(`cannot read ${what} ${file}: ${reason(e)}`);
    }
    if (total > limit('maxFileBytes')) {
      closeSync(fd);
      throw new UsageError(`${what} ${file} is ${total} bytes, beyond the limit of ${limit('maxFileBytes')}`);
    }
  }
  let done = 0;
  let open = true;
  const close = () => {
    if (open && fd) closeSync(fd);
    open = false;
  };
  return {
    name,
    read(into) {
      if (!open) return 0;
      for (;;) {
        try {
          const n = readSync(fd, into, 0, into.length, null);
          done += n;
          onBytes(done, total);
          if (n === 0) close();
          return n;
        } catch (e) {
          if (e.code === 'EAGAIN') {
            pause(5);
            continue;
          }
          if (e.code === 'EOF') return 0;
          close();
          throw new UsageError(`cannot read ${what} ${file === '-' ? 'from standard input' : file}: ${reason(e)}`);
        }
      }
    },
    close,
  };
}

/** Reads a whole (small) input as text: for files read by JS itself, not by the core. */
export function readText(file, what) {
  const r = fileReader(file, what);
  const parts = [];
  const chunk = new Uint8Array(1 << 16);
  let n;
  while ((n = r.read(chunk)) > 0) parts.push(Buffer.from(chunk.subarray(0, n)));
  return Buffer.concat(parts).toString('utf8');
}

function writeAll(fd, bytes, failed) {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (e) {
      if (e.code === 'EAGAIN') {
        pause(5);
        continue;
      }
      failed(e);
    }
  }
}

/**
 * A sink for the output: write(text) buffers up to 1 MiB, then writes; end() finishes. To stdout
 * without a file (a closed pipe: ClosedOutput; other failures: UsageError); to `file` through a
 * temporary file renamed at the end, so a failure leaves no file (and an old one as it was).
 * `onBytes(written)` sees the progress.
 */
export function openOutput(file, onBytes = () => {}) {
  let fd = 1;
  let tmp = null;
  const failed = (e) => {
    if (!file && e.code === 'EPIPE') throw new ClosedOutput();
    discard();
    throw new UsageError(`cannot write ${file ?? 'standard output'}: ${reason(e)}`);
  };
  const discard = () => {
    if (!tmp) return;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    tmp = null;
  };
  if (file) {
    tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    try {
      if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      fd = openSync(tmp, 'w');
    } catch (e) {
      tmp = null;
      throw new UsageError(`cannot write ${file}: ${reason(e)}`);
    }
  }
  let parts = [];
  let size = 0;
  let written = 0;
  const flush = () => {
    if (!parts.length) return;
    const bytes = Buffer.from(parts.join(''), 'utf8');
    parts = [];
    size = 0;
    writeAll(fd, bytes, failed);
    written += bytes.length;
    onBytes(written);
  };
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      if (size >= 1 << 20) flush();
    },
    end() {
      flush();
      if (!file) return;
      try {
        closeSync(fd);
        renameSync(tmp, file);
        tmp = null;
      } catch (e) {
        failed(e);
      }
    },
    /** Drops a file output (after an error before end()). */
    discard,
  };
}

/** Writes text whole to `file`, or to stdout without one. */
export function writeOutput(file, text) {
  const out = openOutput(file);
  try {
    out.write(text);
    out.end();
  } finally {
    out.discard();
  }
}

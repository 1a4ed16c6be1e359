// File input and output for the CLI: readable errors, and outputs written whole or not at all.
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './args.js';

const MAX_BYTES = 256 * 2 ** 20;

const reason = (e) =>
  ({ ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', ENOTDIR: 'not a directory' })[e.code] ??
  e.message;

/** The text of `file` ('-': standard input); a missing or unreadable file is a UsageError. */
export function readText(file, what) {
  if (file === '-') {
    try {
      return readFileSync(0, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${what} from standard input: ${reason(e)}`);
    }
  }
  try {
    const size = statSync(file).size;
    if (size > MAX_BYTES) throw new UsageError(`${what} ${file} is ${size} bytes, beyond the limit of ${MAX_BYTES}`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${file}: ${reason(e)}`);
  }
}

/** Writes text to `file` through a temporary file and a rename, or to stdout without a file. */
export function writeOutput(file, text) {
  if (!file) {
    process.stdout.write(text);
    return;
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw new UsageError(`cannot write ${file}: ${reason(e)}`);
  }
}

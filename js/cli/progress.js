// Progress of long CLI work on stderr. On a terminal: one line, redrawn in place, shown once the
// work has taken a second, and cleared at the end; elsewhere silent, unless --progress asks for
// it (then plain lines, at most one a second). Nothing here goes to stdout.

const MB = 1e6;
export const fmtBytes = (n) => (n >= 10 * MB ? `${Math.round(n / MB)} MB` : n >= MB ? `${(n / MB).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`);
export const fmtCount = (n) => n.toLocaleString('en-US');

/** forced: --progress was given. */
export function createProgress(forced, stream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  const enabled = forced || tty;
  const started = Date.now();
  let label = '';
  let shown = '';
  let last = 0;
  const put = (text) => {
    try {
      stream.write(text);
    } catch {
      // a closed stderr: no progress
    }
  };
  function paint(text, force) {
    if (!enabled || text === shown) return;
    const now = Date.now();
    if (tty) {
      if (!forced && now - started < 1000) return;
      if (!force && now - last < 100) return;
      put(`\r\x1b[K${text.slice(0, (stream.columns || 100) - 1)}`);
    } else {
      if (!force && now - last < 1000) return;
      put(`${text}\n`);
    }
    shown = text;
    last = now;
  }
  return {
    enabled,
    /** A new step of the work, e.g. "reading h.json". */
    stage(what) {
      label = what;
      paint(`eplb: ${label}…`, true);
    },
    /** done of total (total 0: unknown), in bytes when `bytes`. */
    update(done, total, bytes = true) {
      const f = bytes ? fmtBytes : fmtCount;
      const amount = total > 0 ? `${Math.floor((100 * done) / total)}% (${f(done)} of ${f(total)})` : f(done);
      paint(`eplb: ${label}: ${amount}`, false);
    },
    /** A line worth saying once (a job that will be long), shown whenever progress is. */
    note(text) {
      if (!enabled) return;
      if (tty && shown) put('\r\x1b[K');
      put(`eplb: ${text}\n`);
      shown = '';
    },
    /** The work is over (ok: it succeeded): clears the line on a terminal. Once only. */
    end(ok) {
      if (label === null) return;
      if (tty && shown) put('\r\x1b[K');
      else if (!tty && forced && ok && label) put(`eplb: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      shown = '';
      label = null;
    },
  };
}

// Progress of a long plan on stderr: nothing for a run that ends within `after` ms, then a line
// at most every `every` ms, and a closing line if anything was shown; nothing at all unless
// `enabled` (the command passes: stderr is a terminal, or --progress).
export function progressReporter(command, { after = 1000, every = 1000, now = () => performance.now(), write = (s) => process.stderr.write(s), enabled = true } = {}) {
  const start = now();
  let last = -Infinity;
  let shown = false;
  const seconds = (t) => `${((t - start) / 1000).toFixed(1)} s`;
  return {
    update(done, total, label) {
      const t = now();
      if (!enabled || t - start < after || t - last < every || done >= total) return;
      last = t;
      shown = true;
      write(`eplb ${command}: ${done} of ${total} placements (${label}), ${seconds(t)}\n`);
    },
    finish() {
      if (shown) write(`eplb ${command}: done in ${seconds(now())}\n`);
    },
  };
}

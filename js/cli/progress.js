// Progress of a long command on stderr: nothing for a run that ends within `after` ms, then a
// line at most every `every` ms, and a closing line if anything was shown.
export function progressReporter(command, { after = 1000, every = 1000, now = () => performance.now(), write = (s) => process.stderr.write(s) } = {}) {
  const start = now();
  let last = -Infinity;
  let shown = false;
  const seconds = (t) => `${((t - start) / 1000).toFixed(1)} s`;
  return {
    update(done, total, label) {
      const t = now();
      if (t - start < after || t - last < every || done >= total) return;
      last = t;
      shown = true;
      write(`eplb ${command}: ${done} of ${total} placements (${label}), ${seconds(t)}\n`);
    },
    finish() {
      if (shown) write(`eplb ${command}: done in ${seconds(now())}\n`);
    },
  };
}

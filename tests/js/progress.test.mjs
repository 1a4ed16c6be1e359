// The CLI's progress lines: silent for a run within a second, then at most one line a second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressReporter } from '../../js/cli/progress.js';

function clocked() {
  const out = [];
  let t = 0;
  const r = progressReporter('plan', { now: () => t, write: (s) => out.push(s) });
  return { r, out, at: (ms) => { t = ms; } };
}

test('a sweep within a second prints nothing', () => {
  const { r, out, at } = clocked();
  for (let i = 0; i < 10; i++) { at(i * 90); r.update(i, 10, `step ${i}`); }
  r.finish();
  assert.deepEqual(out, []);
});

test('a longer sweep prints a line at most every second, and a closing line', () => {
  const { r, out, at } = clocked();
  for (let i = 0; i < 40; i++) { at(i * 100); r.update(i, 40, `step ${i}`); }
  at(4000);
  r.update(40, 40, 'done');
  r.finish();
  assert.deepEqual(out, [
    'eplb plan: 10 of 40 placements (step 10), 1.0 s\n',
    'eplb plan: 20 of 40 placements (step 20), 2.0 s\n',
    'eplb plan: 30 of 40 placements (step 30), 3.0 s\n',
    'eplb plan: done in 4.0 s\n',
  ]);
});

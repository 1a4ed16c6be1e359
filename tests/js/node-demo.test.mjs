// The Node demo (web/node-demo.mjs): --help, and mistakes as one line with exit code 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { root } from './helpers.mjs';

const demo = (...args) => spawnSync(process.execPath, [path.join(root, 'web', 'node-demo.mjs'), ...args], { encoding: 'utf8' });

test('--help says what the demo does and takes', () => {
  const r = demo('--help');
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
  for (const flag of ['--replicas', '--groups', '--nodes', '--gpus', '--file', '--out', '--repeat']) assert.match(r.stdout, new RegExp(flag));
});

test('mistakes, including a topology the package refuses, are one line and exit 2', () => {
  for (const [args, pattern] of [
    [['--replicas', '7'], /^node-demo: num_replicas \(7\) must be divisible by num_gpus \(32\)$/],
    [['--replicas', '100000', '--gpus', '1'], /^node-demo: num_replicas \(100000\) exceeds the limit of 65536$/],
    [['--gpus', '0x20'], /^node-demo: --gpus must be a positive whole number, got '0x20'$/],
    [['--frobnicate'], /^node-demo: unknown option --frobnicate/],
    [['--file', 'nope.json'], /^node-demo: --file must be one of: /],
    [['--gpus'], /^node-demo: --gpus needs a value$/],
  ]) {
    const r = demo(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), pattern);
  }
});

#!/usr/bin/env node
// The eplb command line; see `eplb --help`. User mistakes: one line on stderr, exit code 2.
import { readFileSync } from 'node:fs';
import { loadEplb, EplbError } from './node.js';
import { parseArgs, UsageError } from './cli/args.js';
import { evaluateCommand } from './cli/evaluate.js';
import { ALGORITHMS, MAIN } from './cli/help.js';
import { writeOutput } from './cli/io.js';
import { planCommand } from './cli/plan.js';
import { rebalanceCommand } from './cli/rebalance.js';

function algorithmsCommand(eplb, argv) {
  const { flags, positionals } = parseArgs(argv, { json: 'bool' });
  if (flags.help) return writeOutput(null, ALGORITHMS);
  if (positionals.length) throw new UsageError(`algorithms takes no arguments, got '${positionals[0]}'`);
  const names = eplb.algorithms();
  writeOutput(null, flags.json ? JSON.stringify(names) + '\n' : names.join('\n') + '\n');
}

const COMMANDS = { rebalance: rebalanceCommand, evaluate: evaluateCommand, plan: planCommand, algorithms: algorithmsCommand };

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given (see eplb --help)');
  if (command === '--help' || command === '-h' || command === 'help') return writeOutput(null, MAIN);
  if (command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return writeOutput(null, `${pkg.version}\n`);
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command '${command}' (known: ${Object.keys(COMMANDS).join(', ')})`);
  run(await loadEplb(), rest);
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  const user = e instanceof UsageError || (e instanceof EplbError && e.code !== 'internal');
  const message = String(e?.message ?? e).split('\n')[0];
  process.stderr.write(`eplb: ${user ? '' : 'internal error: '}${message}\n`);
  process.exitCode = user ? 2 : 1;
}

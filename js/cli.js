#!/usr/bin/env node
// The eplb command line; see `eplb --help`. User mistakes: one line on stderr, exit code 2.
import { readFileSync } from 'node:fs';
import { parseArgs, UsageError } from './cli/args.js';
import { evaluateCommand } from './cli/evaluate.js';
import { ALGORITHMS, MAIN } from './cli/help.js';
import { ClosedOutput, writeOutput } from './cli/io.js';
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

// The package's module, or a clear line when this checkout has not built it.
async function loadModule() {
  let entry;
  try {
    entry = await import('./node.js');
  } catch (e) {
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && /generated/.test(e.message))
      throw new Error('the WebAssembly module is not built (js/generated/ is missing): run `npm run build` first');
    throw e;
  }
  return entry.loadEplb();
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given (see eplb --help)');
  if (command === '--help' || command === '-h' || command === 'help') return writeOutput(null, MAIN);
  if (command === '--version' || command === '-V') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return writeOutput(null, `${pkg.version}\n`);
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command '${command}' (known: ${Object.keys(COMMANDS).join(', ')})`);
  run(await loadModule(), rest);
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof ClosedOutput) {
    // Whoever read the output stopped (`eplb ... | head`): nothing more to say.
    process.exitCode = 0;
  } else {
    const user = e instanceof UsageError || (e?.name === 'EplbError' && e.code !== 'internal');
    const message = String(e?.message ?? e).split('\n')[0];
    try {
      process.stderr.write(`eplb: ${user ? '' : 'internal error: '}${message}\n`);
    } catch {
      // stderr closed too
    }
    process.exitCode = user ? 2 : 1;
  }
}

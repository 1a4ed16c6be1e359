// Command-line flags: `--name value` or `--name=value` (and a few short forms); a mistake throws a
// UsageError.
export class UsageError extends Error {}

// Short forms of flags, where the command has the long one.
const SHORT = { '-o': 'output', '-h': 'help' };

/**
 * spec: { flagName: 'int' | 'number' | 'string' | 'bool' }. Returns { flags, positionals }; flags
 * are keyed by the flag name (e.g. 'max-moves'). `-o FILE` is --output, `-h` --help; `-`
 * alone is a positional (standard input).
 */
export function parseArgs(argv, spec) {
  const flags = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name;
    let value;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = arg.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) value = arg.slice(eq + 1);
      if (!(spec[name] ?? (name === 'help' ? 'bool' : undefined))) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      name = SHORT[arg];
      if (!name || !(name in spec || name === 'help')) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const type = spec[name] ?? 'bool';
    if (type === 'bool') {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (name in flags) throw new UsageError(`--${name} is given twice`);
    flags[name] = convert(name, type, value);
  }
  return { flags, positionals };
}

// Numbers as people write them in decimal: not '0x20', '1e3' for a count, '', ' 4' or 'Infinity'.
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function convert(name, type, value) {
  if (type === 'string') {
    if (value === '') throw new UsageError(`--${name} needs a value`);
    return value;
  }
  const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  if (type === 'int') {
    if (!INTEGER.test(value)) throw new UsageError(`--${name} must be a whole number in decimal digits, got '${shown}'`);
    return Number(value);
  }
  if (!DECIMAL.test(value) || !Number.isFinite(Number(value))) throw new UsageError(`--${name} must be a number, got '${shown}'`);
  return Number(value);
}

/** Runs fn; an EplbError from it gets `context: ` in front of its message. */
export function about(context, fn) {
  try {
    return fn();
  } catch (e) {
    if (e?.name === 'EplbError' && !e.message.startsWith(context)) e.message = `${context}: ${e.message}`;
    throw e;
  }
}

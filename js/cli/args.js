// Command-line flags: `--name value` or `--name=value`; a mistake throws a UsageError.
export class UsageError extends Error {}

/**
 * spec: { flagName: 'int' | 'number' | 'string' | 'bool' }. Returns { flags, positionals }; flags
 * are keyed by the flag name (e.g. 'max-moves').
 */
export function parseArgs(argv, spec) {
  const flags = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') positionals.push(...argv.slice(i + 1));
      else if (arg.startsWith('-') && arg.length > 1 && arg !== '-h') throw new UsageError(`unknown option ${arg}`);
      else if (arg === '-h') flags.help = true;
      else positionals.push(arg);
      if (arg === '--') break;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const type = spec[name] ?? (name === 'help' ? 'bool' : undefined);
    if (!type) throw new UsageError(`unknown option --${name}`);
    if (type === 'bool') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`--${name} needs a value`);
    if (name in flags) throw new UsageError(`--${name} is given twice`);
    flags[name] = convert(name, type, value);
  }
  return { flags, positionals };
}

function convert(name, type, value) {
  if (type === 'string') {
    if (value === '') throw new UsageError(`--${name} needs a value`);
    return value;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  if (type === 'int' && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  return n;
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

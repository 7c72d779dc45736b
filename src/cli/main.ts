// Dispatches `agentwarden [global options] <command> [args]`. Global options may appear
// before the command; commands parse their own flags.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AwError, LocatedError } from '../core/errors.js';
import { COMMANDS } from './commands/index.js';
import { CliContext, type GlobalOptions } from './context.js';
import { termSafe } from './output.js';

export function version(): string {
  // Walk up from this file: works from dist/ and from any other build directory.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'agentwarden') return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return '0.0.0';
    dir = up;
  }
}

function help(): string {
  const names = Object.keys(COMMANDS).sort();
  const w = Math.max(...names.map((n) => n.length));
  return [
    'agentwarden: flight recorder, tripwire and forensics kit for AI coding agents',
    '',
    'Usage: agentwarden [--store DIR] [--config FILE] [--json] <command> [args]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n].summary}`),
    '',
    'Global options:',
    '  --store DIR      store home (default $AGENTWARDEN_HOME or ~/.agentwarden)',
    '  --config FILE    YAML configuration (default $AGENTWARDEN_CONFIG)',
    '  --json           one JSON object per line instead of tables',
    '  -h, --help       help (also: agentwarden <command> --help)',
    '  -V, --version    print the version',
    '',
  ].join('\n');
}

/** Splits global options (anywhere before the command, or after it) from the command's own. */
function splitGlobals(argv: string[]): { globals: GlobalOptions & { help?: boolean; version?: boolean }; command?: string; rest: string[] } {
  const globals: GlobalOptions & { help?: boolean; version?: boolean } = {};
  const rest: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (command && a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    if (flag === '--store' || flag === '--config') {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new AwError('USAGE', `${flag} needs a value`);
      globals[flag === '--store' ? 'store' : 'config'] = v;
    } else if (a === '--json') globals.json = true;
    else if (!command && (a === '-h' || a === '--help')) globals.help = true;
    else if (!command && (a === '-V' || a === '--version')) globals.version = true;
    else if (!command && !a.startsWith('-')) command = a;
    else rest.push(a);
  }
  return { globals, command, rest };
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof splitGlobals>;
  try {
    parsed = splitGlobals(argv);
  } catch (err) {
    process.stderr.write(`agentwarden: ${(err as Error).message}\n`);
    return 2;
  }
  const { globals, command, rest } = parsed;
  if (globals.version) {
    process.stdout.write(`agentwarden ${version()}\n`);
    return 0;
  }
  if (!command || globals.help) {
    if (command && COMMANDS[command]) {
      process.stdout.write(`${COMMANDS[command].usage.trimEnd()}\n`);
      return 0;
    }
    process.stdout.write(help());
    return command ? 2 : globals.help ? 0 : 2;
  }
  const cmd = COMMANDS[command];
  if (!cmd) {
    process.stderr.write(`agentwarden: unknown command '${termSafe(command)}' (see agentwarden --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const dd = rest.indexOf('--');
    const h = rest.indexOf('--help') >= 0 ? rest.indexOf('--help') : rest.indexOf('-h');
    if (dd < 0 || h < dd) {
      process.stdout.write(`${cmd.usage.trimEnd()}\n`);
      return 0;
    }
  }
  const ctx = new CliContext(globals);
  try {
    return await cmd.run(rest, ctx);
  } catch (err) {
    if (err instanceof LocatedError) {
      process.stderr.write(`agentwarden: ${err.message}\n`);
      return 2;
    }
    if (err instanceof AwError) {
      process.stderr.write(`agentwarden ${command}: ${err.code}: ${err.message}\n`);
      return err.code === 'USAGE' ? 2 : 1;
    }
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write(`agentwarden ${command}: ${(err as Error).message}\n${cmd.usage.trimEnd()}\n`);
      return 2;
    }
    throw err;
  }
}

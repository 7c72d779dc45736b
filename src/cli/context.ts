// What every command gets: resolved paths, the loaded config (validated once), output
// streams, and a lazily opened store.
import { loadConfig } from '../config/load.js';
import type { AwConfig } from '../config/types.js';
import { resolvePaths, type AwPaths } from '../core/paths.js';
import { makeOut, type Out } from './output.js';

export interface GlobalOptions {
  store?: string;
  config?: string;
  json?: boolean;
}

export class CliContext {
  readonly paths: AwPaths;
  readonly configFile: string | undefined;
  readonly json: boolean;
  readonly out: Out;
  readonly err: Out;
  private cfg: AwConfig | undefined;

  constructor(opts: GlobalOptions, io: { stdout?: Out; stderr?: Out } = {}) {
    this.configFile = opts.config ?? process.env.AGENTWARDEN_CONFIG;
    this.paths = resolvePaths(opts.store);
    this.json = Boolean(opts.json);
    this.out = io.stdout ?? makeOut(process.stdout);
    this.err = io.stderr ?? makeOut(process.stderr);
  }

  /** The validated configuration (throws a LocatedError on the first use if invalid). */
  get config(): AwConfig {
    if (!this.cfg) this.cfg = loadConfig(this.configFile);
    return this.cfg;
  }
}

/** A subcommand: its help and its entry point. `run` returns the process exit code. */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}

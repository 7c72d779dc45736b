// Where AgentWarden keeps its state. `--store DIR` or AGENTWARDEN_HOME select the home;
// the default is ~/.agentwarden.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface AwPaths {
  home: string;
  /** The database directory (events.db and its WAL). */
  storeDir: string;
  /** Signing keys (store checkpoints, evidence). */
  keysDir: string;
  /** Copies of signed checkpoints, outside the database directory. */
  checkpointsDir: string;
  /** Runtime sockets, pid files and spools. */
  runDir: string;
}

export function resolvePaths(storeOpt?: string, env: NodeJS.ProcessEnv = process.env): AwPaths {
  const home = resolve(storeOpt ?? env.AGENTWARDEN_HOME ?? join(homedir(), '.agentwarden'));
  return {
    home,
    storeDir: join(home, 'store'),
    keysDir: join(home, 'keys'),
    checkpointsDir: join(home, 'checkpoints'),
    runDir: join(home, 'run'),
  };
}

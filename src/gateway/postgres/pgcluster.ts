// A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temp dir, start on a
// free loopback port (as the `postgres` OS user when we are root: the server refuses to run
// as root), stop and delete. Uses the Debian packages (scripts/setup.d/20-postgres.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgBinaries {
  bin: string;
  psql: string;
  pgbench?: string;
  pgbouncer?: string;
}

/** Locates the PostgreSQL server binaries, or undefined. */
export function findPgBinaries(): PgBinaries | undefined {
  const roots = ['/usr/lib/postgresql'];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = join(root, v, 'bin');
      if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')) && existsSync(join(bin, 'psql'))) {
        const pgbench = existsSync(join(bin, 'pgbench')) ? join(bin, 'pgbench') : undefined;
        const pgbouncer = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));
        return { bin, psql: join(bin, 'psql'), pgbench, pgbouncer };
      }
    }
  }
  return undefined;
}

/** Why PostgreSQL tests cannot run here, or undefined. */
export function pgSkipReason(): string | undefined {
  if (!findPgBinaries()) return 'needs the PostgreSQL server binaries (Debian postgresql; run scripts/setup.d/20-postgres.sh)';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root needs the postgres OS user to start a cluster';
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface PgCluster {
  dir: string;
  port: number;
  host: string;
  superuser: string;
  password: string;
  bins: PgBinaries;
  stop(): void;
}

function asPg(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const root = process.getuid?.() === 0;
  const cmd = root ? 'runuser' : bin;
  const argv = root ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, argv, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** initdb + start. SCRAM-SHA-256 on TCP for every user; the superuser has `password`. */
export async function startCluster(opts: { password?: string; extraConf?: string } = {}): Promise<PgCluster> {
  const bins = findPgBinaries();
  if (!bins) throw new Error('PostgreSQL binaries not found');
  const dir = mkdtempSync(join(tmpdir(), 'aw-pg-'));
  const data = join(dir, 'data');
  const password = opts.password ?? 'aw-super-secret';
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password + '\n');
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  chmodSync(dir, 0o700);
  asPg(join(bins.bin, 'initdb'), ['-D', data, '-U', 'aw_super', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 100',
    "password_encryption = 'scram-sha-256'",
    opts.extraConf ?? '',
  ].join('\n');
  writeFileSync(join(data, 'postgresql.auto.conf'), conf + '\n');
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(join(data, 'postgresql.auto.conf'), uid, gid);
  }
  asPg(join(bins.bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  return {
    dir,
    port,
    host: '127.0.0.1',
    superuser: 'aw_super',
    password,
    bins,
    stop() {
      try {
        asPg(join(bins.bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

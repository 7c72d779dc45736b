// pgbench select-only through the gateway (TLS, token identity, libpg-query parse + policy
// on every statement, masking with content detectors, encrypted recording, events into the
// store), direct to PostgreSQL, and through pgbouncer (Debian package), in one run.
// Printed as ratios to direct. Goals (issue 7): gateway tps ratio >= pgbouncer's at 8
// clients; added median latency <= 150 us at 1 client.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePaths } from '../../core/paths.js';
import { openStore, storeWriter } from '../../sinks/store/index.js';
import { issueToken } from '../identity/identity.js';
import { freePort, pgSkipReason, startCluster, type PgCluster } from './pgcluster.js';
import { GatewayService } from '../service.js';

const SECONDS = Number(process.env.AW_BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.AW_BENCH_ROUNDS ?? 3);

interface Run {
  tps: number;
  medianUs: number;
}

function pgbench(cluster: PgCluster, cwd: string, port: number, clients: number, env: NodeJS.ProcessEnv, user: string): Promise<Run> {
  for (const f of readdirSync(cwd)) if (f.startsWith('pgbench_log')) rmSync(join(cwd, f));
  return new Promise((resolve, reject) => {
    const args = ['-S', '-n', '-T', String(SECONDS), '-c', String(clients), '-j', String(Math.min(clients, 2)), '-h', '127.0.0.1', '-p', String(port), '-U', user, '-l', 'bench'];
    const c = spawn(cluster.bins.pgbench!, args, { cwd, env: { ...process.env, ...env } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pgbench failed (${code}): ${out}`));
      const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
      const lat: number[] = [];
      for (const f of readdirSync(cwd)) {
        if (!f.startsWith('pgbench_log')) continue;
        for (const line of readFileSync(join(cwd, f), 'utf8').split('\n')) {
          const p = line.split(' ');
          if (p.length >= 3) lat.push(Number(p[2]));
        }
      }
      lat.sort((a, b) => a - b);
      resolve({ tps, medianUs: lat.length ? lat[Math.floor(lat.length / 2)] : NaN });
    });
  });
}

async function startPgbouncer(cluster: PgCluster, dir: string): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(join(dir, 'userlist.txt'), `"${cluster.superuser}" "${cluster.password}"\n`);
  writeFileSync(
    ini,
    `[databases]\nbench = host=127.0.0.1 port=${cluster.port} dbname=bench\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\nunix_socket_dir =\nauth_type = plain\nauth_file = ${join(dir, 'userlist.txt')}\npool_mode = transaction\ndefault_pool_size = 8\nmax_client_conn = 100\nlogfile = ${join(dir, 'pgbouncer.log')}\npidfile = ${join(dir, 'pgbouncer.pid')}\n`,
  );
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
    for (const f of [dir, ini, join(dir, 'userlist.txt')]) chownSync(f, uid, gid);
  }
  const bin = cluster.bins.pgbouncer!;
  const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', bin, '-d', ini], { encoding: 'utf8' }) : spawnSync(bin, ['-d', ini], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pgbouncer failed: ${r.stderr}`);
  await new Promise((res) => setTimeout(res, 500));
  return {
    port,
    stop() {
      try {
        const pid = Number(readFileSync(join(dir, 'pgbouncer.pid'), 'utf8').trim());
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}

async function main(): Promise<void> {
  const skip = pgSkipReason();
  const bins = skip ? undefined : (await import('./pgcluster.js')).findPgBinaries();
  if (skip || !bins?.pgbench) {
    console.log(`SKIP gateway bench: ${skip ?? 'needs pgbench'}`);
    return;
  }
  const cluster = await startCluster({ extraConf: 'max_connections = 200' });
  const work = mkdtempSync(join(tmpdir(), 'aw-gwbench-'));
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
    chownSync(work, uid, Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim()));
  }
  const superEnv = { PGPASSWORD: cluster.password, PGSSLMODE: 'disable' };
  spawnSync(cluster.bins.psql, ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', cluster.superuser, '-d', 'postgres', '-c', 'CREATE DATABASE bench'], { env: { ...process.env, ...superEnv } });
  const init = spawnSync(cluster.bins.pgbench!, ['-i', '-s', '2', '-q', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', cluster.superuser, 'bench'], { env: { ...process.env, ...superEnv }, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
  const paths = resolvePaths(join(work, 'home'));
  const store = openStore(paths);
  const writer = storeWriter(store, {}, { whenFull: 'drop_newest', flushMs: 200 }); // as `agentwarden gateway` does
  // One worker process by default: on the 2-CPU VM it beat one per CPU at c=1 and c=8
  // (pgbench -S c=8: 5,050-5,060 tps vs 4,775-4,790; the CPUs are shared with pgbench,
  // PostgreSQL and the store in this process). 0 runs the gateway in this process.
  const workers = Number(process.env.AW_BENCH_WORKERS ?? 1);
  let events = 0;
  const gw = new GatewayService();
  await gw.startWith(
    paths,
    {
      postgres: { listen: '127.0.0.1:0', workers, upstream: { host: '127.0.0.1', port: cluster.port, user: cluster.superuser, password: cluster.password, database: 'bench' } },
      default_policy: 'readonly',
      masking: { columns: [{ column: 'pgbench_accounts.filler' }, { column: 'pgbench_branches.filler' }], detectors: ['email', 'card', 'api_key', 'national_id'] },
      recording: { enabled: true },
    },
    (e) => {
      events++;
      writer.write(e);
    },
    () => {},
  );
  const gwPort = gw.listeners.postgres!.port;
  const token = (await issueToken(paths, undefined, { agent: 'bench', groups: [], ttl: '1h' })).token;
  const bdir = join(work, 'bouncer');
  mkdirSync(bdir);
  const bouncer = await startPgbouncer(cluster, bdir);
  const results: Record<string, { c1: Run; c8: Run }> = {};
  try {
    const targets: Array<[string, number, NodeJS.ProcessEnv, string]> = [
      ['direct', cluster.port, superEnv, cluster.superuser],
      ['pgbouncer', bouncer.port, superEnv, cluster.superuser],
      ['gateway', gwPort, { PGPASSWORD: token, PGSSLMODE: 'require' }, 'bench-agent'],
    ];
    // Warm up every path once (parser WASM, TLS, pools).
    for (const [, port, env, user] of targets) await pgbench(cluster, work, port, 2, { ...env, PGDATABASE: 'bench' }, user);
    // Interleaved rounds, median per target: these machines are shared and noisy, and a
    // burst of load must not land on one target only.
    const runs: Record<string, { c1: Run[]; c8: Run[] }> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, port, env, user] of targets) {
        runs[name] ??= { c1: [], c8: [] };
        runs[name].c1.push(await pgbench(cluster, work, port, 1, { ...env, PGDATABASE: 'bench' }, user));
        runs[name].c8.push(await pgbench(cluster, work, port, 8, { ...env, PGDATABASE: 'bench' }, user));
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const [name, r] of Object.entries(runs)) {
      results[name] = {
        c1: { tps: med(r.c1.map((x) => x.tps)), medianUs: med(r.c1.map((x) => x.medianUs)) },
        c8: { tps: med(r.c8.map((x) => x.tps)), medianUs: med(r.c8.map((x) => x.medianUs)) },
      };
    }
  } finally {
    bouncer.stop();
    await gw.stop();
    await writer.flush();
    store.close();
    cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const d = results.direct;
  console.log(`pgbench -S (select-only, simple protocol), ${SECONDS}s per run, median of ${ROUNDS} interleaved rounds, scale 2, load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs; gateway (${workers} worker process(es)): TLS + token + parse/policy + masking/detectors + encrypted recording + store events`);
  console.log('target      c=8 tps   ratio   c=1 tps   c=1 median us   added median us');
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(10)} ${r.c8.tps.toFixed(0).padStart(8)}   ${(r.c8.tps / d.c8.tps).toFixed(2).padStart(5)}   ${r.c1.tps.toFixed(0).padStart(7)}   ${r.c1.medianUs.toFixed(0).padStart(13)}   ${(r.c1.medianUs - d.c1.medianUs).toFixed(0).padStart(15)}`);
  }
  const g = results.gateway;
  const b = results.pgbouncer;
  const ratioOk = g.c8.tps / d.c8.tps >= b.c8.tps / d.c8.tps;
  const latOk = g.c1.medianUs - d.c1.medianUs <= 150;
  console.log(`goal c=8 ratio gateway ${(g.c8.tps / d.c8.tps).toFixed(2)} >= pgbouncer ${(b.c8.tps / d.c8.tps).toFixed(2)}: ${ratioOk ? 'MET' : 'NOT MET'}`);
  console.log(`goal added median latency at c=1 ${(g.c1.medianUs - d.c1.medianUs).toFixed(0)} us <= 150 us: ${latOk ? 'MET' : 'NOT MET'}`);
  console.log(`gateway: ${events} events to the store; store writer ${JSON.stringify(writer.counters)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// `agentwarden daemon`: the system-wide service (kernel sensor + the other receivers).
import { parseArgs } from 'node:util';
import { startDaemon } from '../../daemon/daemon.js';
import type { Command } from '../context.js';
import { termSafe } from '../output.js';

export const daemonCommand: Command = {
  summary: 'run the system-wide service: detect agents, track their trees, host the receivers',
  usage: `Usage: agentwarden daemon [--config FILE] [--store DIR]

Runs in the foreground until SIGTERM or SIGINT (use the systemd unit in deploy/systemd).
Detects AI agents as they start (signature catalog: config/agents.yaml), tracks each
agent's process tree in kernel, writes attributed events to the store, and runs the
services of src/daemon/services.ts. If the kernel sensor dies or stalls, a high-severity
alert is stored and the sensor restarts. 'agentwarden status' and
'agentwarden sessions --live' ask the running daemon over its socket.`,
  async run(args, ctx) {
    parseArgs({ args, options: {} });
    const log = (m: string) => ctx.err.write(`${new Date().toISOString()} agentwarden daemon: ${termSafe(m)}\n`);
    const d = await startDaemon({ config: ctx.config, paths: ctx.paths, log });
    const onSignal = () => void d.stop();
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    log(`running (pid ${process.pid}); store ${ctx.paths.home}`);
    await d.done;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    log('stopped');
    return 0;
  },
};

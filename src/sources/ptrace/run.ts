// `agentwarden run --mode ptrace`: strace-based capture through the same attribution.
import { hostname } from 'node:os';
import type { AwEvent } from '../../schema/index.js';
import { Attributor, type AgentCatalog, type SessionInfo } from '../../transforms/attribute/index.js';
import { StraceParser, runUnderStrace, straceAvailable } from './strace.js';

export interface PtraceRunOptions {
  cmd: string[];
  catalog: AgentCatalog;
  emit: (e: AwEvent) => void | Promise<void>;
  lingerMs?: number;
  holdMs?: number;
}

export interface PtraceResult {
  code: number;
  sessions: SessionInfo[];
  suppressed: number;
  unparsed: number;
}

export async function runPtrace(o: PtraceRunOptions): Promise<PtraceResult> {
  if (!straceAvailable()) throw new Error('--mode ptrace needs strace (apt-get install strace)');
  const attributor = new Attributor({ catalog: o.catalog, holdMs: o.holdMs });
  const out = (e: AwEvent) => void o.emit(e);
  let rooted = false;
  const parser = new StraceParser({
    isMarker: o.catalog.isMarker,
    host: { name: hostname() },
    emit: (e) => {
      if (!rooted && e.process) {
        rooted = true;
        attributor.addRoot(parser.rootPid, { cwd: process.cwd() });
      }
      attributor.apply(e, out);
    },
  });
  const timer = setInterval(() => attributor.tick(out), 100);
  let code: number;
  try {
    code = await runUnderStrace(o.cmd, parser);
  } finally {
    clearInterval(timer);
    attributor.tick(out, true);
  }
  return { code, sessions: attributor.list(), suppressed: parser.suppressed, unparsed: parser.unparsed };
}

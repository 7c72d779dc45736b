// Degraded, bypassable capture via strace (for machines without eBPF).
export { runPtrace } from './run.js';
export type { PtraceRunOptions, PtraceResult } from './run.js';
export { StraceParser, runUnderStrace, straceAvailable, unescapeC, splitArgs } from './strace.js';

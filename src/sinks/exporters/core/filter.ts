// Per-exporter event filter, compiled once: kinds (exact, 'prefix.*' or '*') and a minimum
// severity. Events without a severity (everything but alerts) count as 'info'.
import type { AwEvent, Severity } from '../../../schema/index.js';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export interface FilterConfig {
  kinds?: string[];
  min_severity?: Severity;
}

export type EventPredicate = (ev: AwEvent) => boolean;

export function severityRank(s: Severity | undefined): number {
  const i = s === undefined ? 0 : SEVERITIES.indexOf(s);
  return i < 0 ? 0 : i;
}

export function compileFilter(f: FilterConfig | undefined): EventPredicate | undefined {
  if (!f || ((!f.kinds || f.kinds.length === 0) && !f.min_severity)) return undefined;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  let any = !f.kinds || f.kinds.length === 0;
  for (const k of f.kinds ?? []) {
    if (k === '*') any = true;
    else if (k.endsWith('.*')) prefixes.push(k.slice(0, -1));
    else exact.add(k);
  }
  const min = f.min_severity ? severityRank(f.min_severity) : 0;
  return (ev) => {
    if (!any && !exact.has(ev.kind) && !prefixes.some((p) => ev.kind.startsWith(p))) return false;
    return min === 0 || severityRank(ev.alert?.severity) >= min;
  };
}

// Drops an event whose id was already seen recently. The agent channels give one fact the
// same id (a tool call from the hook and from the transcript watcher, a prompt from
// UserPromptSubmit and from the transcript), so in the daemon, where hooks and watchers
// feed one pipeline, this keeps the first copy. Bounded: the oldest ids are forgotten
// first (counted as `evicted`); events without an id always pass.
import type { Transform } from '../../core/component.js';
import type { AwEvent } from '../../schema/index.js';

export interface IdDedupe extends Transform {
  readonly counters: { passed: number; dropped: number; evicted: number };
}

export function createIdDedupe(capacity = 100_000): IdDedupe {
  const seen = new Set<string>();
  const counters = { passed: 0, dropped: 0, evicted: 0 };
  return {
    name: 'dedupe-agent-ids',
    counters,
    apply(ev: AwEvent): AwEvent | null {
      // Only agent events: kernel/gateway producers assign unique ids of their own.
      if (!ev.id || !ev.kind.startsWith('agent.')) {
        counters.passed++;
        return ev;
      }
      if (seen.has(ev.id)) {
        counters.dropped++;
        return null;
      }
      seen.add(ev.id);
      if (seen.size > capacity) {
        seen.delete(seen.values().next().value as string);
        counters.evicted++;
      }
      counters.passed++;
      return ev;
    },
  };
}

// `agentwarden import <claude|codex|gemini|cursor|vibes> PATH`: reads an agent's own
// session logs (or a VIBES .ai-audit directory) into the store, idempotently.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { validateEvent, type AwEvent } from '../../schema/index.js';
import { agentKindOf } from '../../transforms/normalize/index.js';
import { openStore } from '../../sinks/store/index.js';
import { emptyResult, formatProblem, importFileSafe, importFiles, mergeResult, storeImported, type ImportResult } from '../../sources/importers/index.js';
import { importVibes } from '../../sources/vibes/index.js';
import { redactorFromConfig, type RedactionConfig } from '../../transforms/redact/index.js';
import type { Command } from '../context.js';
import { termSafe } from '../output.js';

function countKinds(events: AwEvent[]): Record<string, number> {
  const k: Record<string, number> = {};
  for (const e of events) k[e.kind] = (k[e.kind] ?? 0) + 1;
  return k;
}

export const importCommand: Command = {
  summary: 'import agent session logs (claude, codex, gemini, cursor) or a VIBES .ai-audit directory',
  usage: `Usage: agentwarden import <claude|codex|gemini|cursor|vibes> PATH [--dry-run] [--json]

PATH is a file or a directory (searched recursively): Claude Code transcripts
(~/.claude/projects, both sub-agent layouts), Codex rollouts (~/.codex/sessions), Gemini CLI
chats (~/.gemini/tmp, .json and .jsonl, repeated message ids keep the last copy), Cursor
agent transcripts (~/.cursor/projects), hook payload logs of any of them, or a VIBES
.ai-audit directory. Every event gets a deterministic id: importing the same files again
stores nothing twice. Malformed lines are reported as 'file:line: reason' on stderr and
skipped; everything else is kept. VIBES hash mismatches are reported, never rejected.
Events pass the configured redaction (section redaction:, default 'redacted') before they
are stored. A tool call already stored by another channel (hooks, OTLP) with the same
session and call id is not stored again.
--dry-run parses and reports without storing.
Exit status: 0 clean, 1 some lines were malformed, 2 usage error.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true });
    const [agent, path] = positionals;
    if (!agent || !path) throw new AwError('USAGE', 'usage: agentwarden import <claude|codex|gemini|cursor|vibes> PATH');
    if (agent !== 'vibes' && !agentKindOf(agent)) throw new AwError('USAGE', `unknown source '${agent}' (expected claude, codex, gemini, cursor or vibes)`);
    if (!existsSync(path)) throw new AwError('USAGE', `no such file or directory: ${path}`);
    // One file at a time: memory stays bounded by the largest file, not the whole tree.
    const result = emptyResult();
    const kinds: Record<string, number> = {};
    let vibesReport: Record<string, unknown> | undefined;
    let stored = 0;
    let duplicates = 0;
    let evCount = 0;
    const dry = Boolean(values['dry-run']);
    const store = dry ? undefined : openStore(ctx.paths, ctx.config.store ?? {});
    // Same redaction as the live channels, before anything is stored.
    const redactor = dry ? undefined : redactorFromConfig(ctx.config.redaction as RedactionConfig | undefined);
    const take = (r: ImportResult) => {
      // A last guard: every event must satisfy the published schema before it is stored.
      r.events = r.events.filter((ev) => {
        const v = validateEvent(ev);
        if (!v.ok) r.problems.push({ file: ev.source.ref ?? path, line: 0, reason: `dropped an event that fails the schema: ${v.reason}` });
        return v.ok;
      });
      for (const p of r.problems) ctx.err.write(`${termSafe(formatProblem(p))}\n`);
      for (const [k, n] of Object.entries(countKinds(r.events))) kinds[k] = (kinds[k] ?? 0) + n;
      if (store && r.events.length) {
        const s = storeImported(store, r.events, { transform: redactor });
        stored += s.stored;
        duplicates += s.duplicates;
      }
      mergeResult(result, { ...r, events: [] });
      evCount += r.events.length;
    };
    try {
      if (agent === 'vibes') {
        const r = importVibes(path);
        vibesReport = r.report as unknown as Record<string, unknown>;
        take(r.result);
      } else for (const f of importFiles(agent, path)) take(importFileSafe(agent, f));
    } finally {
      store?.close();
    }
    const json = ctx.json || values.json;
    if (json) {
      ctx.out.write(`${JSON.stringify({ files: result.files, lines: result.lines, events: evCount, stored, already_stored: duplicates, problems: result.problems.length, kinds, skipped: result.skipped, ...(vibesReport ? { vibes: vibesReport } : {}) })}\n`);
    } else {
      ctx.out.write(`read ${result.files} file(s), ${result.lines} record(s): ${evCount} event(s); stored ${stored}, already stored ${duplicates}; ${result.problems.length} malformed line(s)\n`);
      for (const [k, n] of Object.entries(kinds).sort()) ctx.out.write(`  ${k.padEnd(22)} ${n}\n`);
      if (vibesReport) ctx.out.write(`vibes: ${termSafe(JSON.stringify(vibesReport))}\n`);
    }
    return result.problems.length ? 1 : 0;
  },
};

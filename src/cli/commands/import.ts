// `agentwarden import <claude|codex|gemini|cursor|vibes> PATH`: reads an agent's own
// session logs (or a VIBES .ai-audit directory) into the store, idempotently.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import type { AwEvent } from '../../schema/index.js';
import { openStore } from '../../sinks/store/index.js';
import { formatProblem, importPath, storeImported, type ImportResult } from '../../sources/importers/index.js';
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
    if (!existsSync(path)) throw new AwError('USAGE', `no such file or directory: ${path}`);
    let result: ImportResult;
    let vibesReport: Record<string, unknown> | undefined;
    if (agent === 'vibes') {
      const r = importVibes(path);
      result = r.result;
      vibesReport = r.report as unknown as Record<string, unknown>;
    } else result = importPath(agent, path);
    for (const p of result.problems) ctx.err.write(`${termSafe(formatProblem(p))}\n`);
    let stored = 0;
    let duplicates = 0;
    if (!values['dry-run'] && result.events.length) {
      const store = openStore(ctx.paths, ctx.config.store ?? {});
      try {
        // Same redaction as the live channels, before anything is stored.
        const redactor = redactorFromConfig(ctx.config.redaction as RedactionConfig | undefined);
        const r = storeImported(store, result.events, { transform: redactor });
        stored = r.stored;
        duplicates = r.duplicates;
      } finally {
        store.close();
      }
    }
    const kinds = countKinds(result.events);
    const json = ctx.json || values.json;
    if (json) {
      ctx.out.write(`${JSON.stringify({ files: result.files, lines: result.lines, events: result.events.length, stored, already_stored: duplicates, problems: result.problems.length, kinds, skipped: result.skipped, ...(vibesReport ? { vibes: vibesReport } : {}) })}\n`);
    } else {
      ctx.out.write(`read ${result.files} file(s), ${result.lines} record(s): ${result.events.length} event(s); stored ${stored}, already stored ${duplicates}; ${result.problems.length} malformed line(s)\n`);
      for (const [k, n] of Object.entries(kinds).sort()) ctx.out.write(`  ${k.padEnd(22)} ${n}\n`);
      if (vibesReport) ctx.out.write(`vibes: ${termSafe(JSON.stringify(vibesReport))}\n`);
    }
    return result.problems.length ? 1 : 0;
  },
};

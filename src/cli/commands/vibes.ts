// `agentwarden vibes export|verify`: VIBES .ai-audit/ directories from and for our records.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import type { AwEvent } from '../../schema/index.js';
import { exportVibes, importVibes, sessionTreeEvents } from '../../sources/vibes/index.js';
import type { Command } from '../context.js';
import { termSafe } from '../output.js';
import { openStoreReadonlyOrEmpty } from './store-commands.js';

export const vibesCommand: Command = {
  summary: 'export a session as a VIBES .ai-audit/ directory, or verify one',
  usage: `Usage: agentwarden vibes export --session ID --out DIR [--kernel] [--json]
       agentwarden vibes verify DIR [--json]

export writes config.json, manifest.json and annotations.jsonl for the session and its
sub-agent sessions (VIBES 1.0, assurance 'high'; manifest keys: SHA-256 of the entry
without created_at, keys sorted recursively). Each annotation also carries the original
event under 'x_agentwarden', so 'agentwarden import vibes DIR' restores it exactly.
verify reports which hash rule each manifest key follows, annotation id checks and
attestation subject digests; mismatches are reported, never fatal.
--kernel also exports the kernel events attributed to those sessions (processes, files,
network), as edge records; a later import labels them as imported from VIBES.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { session: { type: 'string' }, out: { type: 'string' }, kernel: { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true });
    const sub = positionals[0];
    const json = ctx.json || values.json;
    if (sub === 'export') {
      if (!values.session || !values.out) throw new AwError('USAGE', 'vibes export needs --session ID and --out DIR');
      const store = openStoreReadonlyOrEmpty(ctx);
      if (!store) throw new AwError('STORE_MISSING', 'no store yet');
      let events: AwEvent[];
      try {
        events = sessionTreeEvents(store.iterate(values.kernel ? {} : { kindPrefix: 'agent.' }), values.session).filter((e) => values.kernel || e.kind.startsWith('agent.'));
      } finally {
        store.close();
      }
      if (!events.length) throw new AwError('NOT_FOUND', `no agent events for session ${values.session}`);
      const r = exportVibes(events, resolve(values.out));
      if (json) ctx.out.write(`${JSON.stringify({ dir: r.dir, events: events.length, annotations: r.annotations, manifest_entries: r.entries })}\n`);
      else ctx.out.write(`wrote ${termSafe(r.dir)}: ${r.annotations} annotation(s), ${r.entries} manifest entr${r.entries === 1 ? 'y' : 'ies'} from ${events.length} event(s)\n`);
      return 0;
    }
    if (sub === 'verify') {
      const dir = positionals[1];
      if (!dir || !existsSync(dir)) throw new AwError('USAGE', 'vibes verify needs an existing DIR');
      const { result, report } = importVibes(dir);
      for (const p of result.problems) ctx.err.write(`${termSafe(`${p.file}:${p.line}: ${p.reason}`)}\n`);
      if (json) ctx.out.write(`${JSON.stringify(report)}\n`);
      else {
        const m = report.manifest;
        ctx.out.write(`manifest: ${m.entries} entries; keys with type: ${m.hash_rules.with_type}, without type: ${m.hash_rules.without_type}, neither: ${m.hash_rules.neither}\n`);
        ctx.out.write(`annotations: ${report.annotations.records} records ${termSafe(JSON.stringify(report.annotations.by_type))}; ids ${termSafe(JSON.stringify(report.annotations.annotation_ids))}; unresolved hash refs: ${report.annotations.unresolved_refs}\n`);
        for (const s of report.attestation?.subjects ?? []) ctx.out.write(`attestation subject ${termSafe(s.name)}: ${s.ok ? 'matches' : `MISMATCH (signed ${termSafe(s.expected)}, file ${termSafe(s.actual ?? 'missing')})`}\n`);
      }
      return result.problems.length ? 1 : 0;
    }
    throw new AwError('USAGE', `unknown subcommand '${sub ?? ''}' (expected: export, verify)`);
  },
};

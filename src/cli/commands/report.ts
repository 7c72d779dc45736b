// `agentwarden report INCIDENT`: a TRACE-IR-style JSON report or a STIX 2.1 bundle.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { gatherReport, stixBundle, traceIr } from '../../forensics/report/report.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { Command } from '../context.js';
import { requireStoreDir } from './incident.js';

export const reportCommand: Command = {
  summary: 'incident report as TRACE-IR-style JSON or a STIX 2.1 bundle',
  usage: `Usage: agentwarden report INCIDENT [--format trace-ir|stix] [--out FILE]

trace-ir  the incident, sessions and delegation, key events, blast radius, ATT&CK and
          ATLAS techniques, evidence bundles, containment and the action log (JSON)
stix      a STIX 2.1 bundle: incident, indicators with STIX patterns, observed-data,
          identity, tool, note, relationships, sightings, attack-patterns; agent sessions
          and tool calls as extension-defined objects`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { format: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true });
    const id = positionals[0];
    if (!id) throw new AwError('USAGE', 'report INCIDENT');
    const format = values.format ?? 'trace-ir';
    if (format !== 'trace-ir' && format !== 'stix') throw new AwError('USAGE', '--format is trace-ir or stix');
    requireStoreDir(ctx);
    const store = openStoreReadonly(ctx.paths, ctx.config.store ?? {});
    try {
      const input = gatherReport(store, id);
      const stix = stixBundle(input);
      const doc = format === 'stix' ? stix : traceIr(input, { stixBundleId: stix.id });
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      if (values.out) {
        writeFileSync(values.out, text);
        ctx.err.write(`wrote ${format} report to ${values.out}\n`);
      } else ctx.out.write(text);
    } finally {
      store.close();
    }
    return 0;
  },
};

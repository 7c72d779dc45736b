// The command registry. Each component adds its commands here (one line each).
import type { Command } from '../context.js';
import { runCommand } from './run.js';
import { daemonCommand } from './daemon.js';
import { statusCommand } from './status.js';
import { importCommand } from './import.js';
import { vibesCommand } from './vibes.js';
import { delegationCommand, toolcallCommand, whyCommand } from './join.js';
import { eventsCommand, ingestCommand, keyCommand, sessionsCommand, verifyCommand } from './store-commands.js';
import { gatewayCommand } from './gateway.js';
import { tokenCommand } from './token.js';
import { approvalsCommand } from './approvals.js';
import { replayCommand } from './replay.js';
import { hooksCommand } from '../../sources/hooks/commands.js';
import { otlpCommand } from '../../sources/otlp/commands.js';
import { incidentCommand } from './incident.js';
import { evidenceCommand } from './evidence.js';
import { timelineCommand } from './timeline.js';
import { blastCommand } from './blast.js';
import { reportCommand } from './report.js';
import { graphCommand } from './graph.js';
import { huntCommand } from './hunt.js';
import { containCommand } from './contain.js';
import { alertsCommand } from './alerts.js';
import { rulesCommand } from './rules.js';
import { scanCommand } from './scan.js';
import { exportersCommand } from '../../sinks/exporters/commands.js';

export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  daemon: daemonCommand,
  status: statusCommand,
  ingest: ingestCommand,
  events: eventsCommand,
  sessions: sessionsCommand,
  verify: verifyCommand,
  key: keyCommand,
  gateway: gatewayCommand,
  token: tokenCommand,
  approvals: approvalsCommand,
  replay: replayCommand,
  import: importCommand,
  vibes: vibesCommand,
  why: whyCommand,
  toolcall: toolcallCommand,
  delegation: delegationCommand,
  hooks: hooksCommand,
  otlp: otlpCommand,
  incident: incidentCommand,
  evidence: evidenceCommand,
  timeline: timelineCommand,
  'blast-radius': blastCommand,
  report: reportCommand,
  graph: graphCommand,
  hunt: huntCommand,
  contain: containCommand,
  rules: rulesCommand,
  scan: scanCommand,
  alerts: alertsCommand,
  exporters: exportersCommand,
};

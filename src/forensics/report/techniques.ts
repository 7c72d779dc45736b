// ATT&CK and ATLAS techniques the reports cite. Names are copied from MITRE ATT&CK
// Enterprise and ATLAS 5.6.0 (report.test.ts checks every ATLAS name against
// ../shared/data/mitre/atlas/ATLAS.yaml). Inference rules map what the blast radius shows
// to techniques; ids the alerts carry are added as given.
import type { BlastRadius } from '../blast/blast.js';

export interface Technique {
  id: string;
  name: string;
  framework: 'mitre-attack' | 'mitre-atlas';
  url: string;
  /** Why this technique is cited. */
  evidence: string[];
}

export const ATTACK_NAMES: Record<string, string> = {
  'T1552': 'Unsecured Credentials',
  'T1552.001': 'Credentials In Files',
  'T1552.004': 'Private Keys',
  'T1041': 'Exfiltration Over C2 Channel',
  'T1048': 'Exfiltration Over Alternative Protocol',
  'T1567': 'Exfiltration Over Web Service',
  'T1059': 'Command and Scripting Interpreter',
  'T1059.004': 'Unix Shell',
  'T1005': 'Data from Local System',
  'T1070.004': 'File Deletion',
  'T1485': 'Data Destruction',
  'T1098.004': 'SSH Authorized Keys',
  'T1546.004': 'Unix Shell Configuration Modification',
  'T1053.003': 'Cron',
  'T1543.002': 'Systemd Service',
  'T1105': 'Ingress Tool Transfer',
  'T1213.003': 'Code Repositories',
  'T1195.001': 'Compromise Software Dependencies and Development Tools',
};

export const ATLAS_NAMES: Record<string, string> = {
  'AML.T0055': 'Unsecured Credentials',
  'AML.T0086': 'Exfiltration via AI Agent Tool Invocation',
  'AML.T0053': 'AI Agent Tool Invocation',
  'AML.T0051': 'LLM Prompt Injection',
  'AML.T0050': 'Command and Scripting Interpreter',
  'AML.T0101': 'Data Destruction via AI Agent Tool Invocation',
  'AML.T0081': 'Modify AI Agent Configuration',
  'AML.T0080': 'AI Agent Context Poisoning',
  'AML.T0083': 'Credentials from AI Agent Configuration',
  'AML.T0098': 'AI Agent Tool Credential Harvesting',
  'AML.T0010.005': 'AI Agent Tool',
  'AML.T0057': 'LLM Data Leakage',
};

function url(id: string, framework: Technique['framework']): string {
  if (framework === 'mitre-atlas') return `https://atlas.mitre.org/techniques/${id}`;
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
}

const PERSISTENCE: Array<{ re: RegExp; id: string }> = [
  { re: /\/\.ssh\/authorized_keys$/, id: 'T1098.004' },
  { re: /\/\.(bashrc|zshrc|profile|bash_profile|zprofile)$/, id: 'T1546.004' },
  { re: /(^\/etc\/cron|\/var\/spool\/cron)/, id: 'T1053.003' },
  { re: /\/systemd\/(user|system)\/[^/]+\.service$/, id: 'T1543.002' },
];

const AGENT_CONFIG = /(\/\.claude\/settings(\.local)?\.json|\/\.codex\/config\.toml|\/\.gemini\/settings\.json|\/\.cursor\/mcp\.json|\/\.mcp\.json|\/CLAUDE\.md|\/AGENTS\.md)$/;

export function inferTechniques(br: BlastRadius, iocClass: string, alertIds: { attack: string[]; atlas: string[] }): Technique[] {
  const out = new Map<string, Technique>();
  const add = (id: string, framework: Technique['framework'], why: string) => {
    const names = framework === 'mitre-atlas' ? ATLAS_NAMES : ATTACK_NAMES;
    const t = out.get(id) ?? { id, name: names[id] ?? id, framework, url: url(id, framework), evidence: [] };
    if (!t.evidence.includes(why)) t.evidence.push(why);
    out.set(id, t);
  };
  for (const id of alertIds.attack) add(id, 'mitre-attack', 'named by the alert');
  for (const id of alertIds.atlas) add(id, 'mitre-atlas', 'named by the alert');
  if (br.credentials.length) {
    const why = `credential read: ${br.credentials.map((c) => c.path).join(', ')}`;
    add(br.credentials.some((c) => c.kind === 'SSH private key') ? 'T1552.004' : 'T1552.001', 'mitre-attack', why);
    add('AML.T0055', 'mitre-atlas', why);
    if (br.credentials.some((c) => c.tool_call_id)) add('AML.T0098', 'mitre-atlas', 'credentials read by a process a tool call started');
  }
  const egress = br.endpoints.filter((e) => e.after_credential_read);
  if (egress.length) {
    const why = `network egress after the credential read: ${egress.map((e) => e.endpoint).join(', ')}`;
    add('T1041', 'mitre-attack', why);
    add('AML.T0086', 'mitre-atlas', why);
  }
  if (br.processes.some((p) => /^(\S*\/)?(ba|z|da|k)?sh$/.test(p.command.split(' ')[0] ?? '') || / -c /.test(p.command))) {
    add('T1059.004', 'mitre-attack', 'shell commands run by the agent');
    add('AML.T0050', 'mitre-atlas', 'shell commands run by the agent');
  }
  if (br.tools.length) add('AML.T0053', 'mitre-atlas', `agent tools invoked: ${br.tools.map((t) => t.name).join(', ')}`);
  for (const f of br.files.written) {
    for (const p of PERSISTENCE) if (p.re.test(f.path)) add(p.id, 'mitre-attack', `persistence location written: ${f.path}`);
    if (AGENT_CONFIG.test(f.path)) add('AML.T0081', 'mitre-atlas', `agent configuration written: ${f.path}`);
  }
  if (br.files.deleted.length >= 20) {
    add('T1485', 'mitre-attack', `${br.files.deleted.length} files deleted`);
    add('AML.T0101', 'mitre-atlas', `${br.files.deleted.length} files deleted by agent tools`);
  } else if (br.files.deleted.length) add('T1070.004', 'mitre-attack', `files deleted: ${br.files.deleted.map((f) => f.path).join(', ')}`);
  if (iocClass === 'INJECT') add('AML.T0051', 'mitre-atlas', 'IoC class INJECT');
  return [...out.values()];
}

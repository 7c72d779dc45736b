// Entry points: read a file or directory tree of one agent's logs into events.
import { readFileSync, statSync } from 'node:fs';
import { AwError } from '../../core/errors.js';
import { agentKindOf, type SupportedAgent } from '../../transforms/normalize/vocabulary.js';
import { ClaudeTranscriptReader } from './claude.js';
import { CodexRolloutReader } from './codex.js';
import { emptyResult, findFiles, mergeResult, runReader, type ImportResult, type LineReader } from './common.js';
import { CursorTranscriptReader } from './cursor.js';
import { GeminiChatReader, readGeminiJson } from './gemini.js';

/** Files an agent's importer reads when given a directory. */
export function acceptsFile(agent: SupportedAgent, name: string): boolean {
  switch (agent) {
    case 'claude-code':
      return name.endsWith('.jsonl');
    case 'codex':
      return name.endsWith('.jsonl');
    case 'gemini-cli':
      return name.endsWith('.jsonl') || (name.endsWith('.json') && (name.startsWith('session-') || name === 'logs.json'));
    case 'cursor':
      return name.endsWith('.jsonl');
  }
}

/** A line reader for one file of an agent (for whole-file import and for tailing). */
export function readerFor(agent: SupportedAgent, file: string, streaming = false): LineReader {
  // Records without a time of their own (Claude/Codex hook payload logs): live, now; on
  // import, the file's modification time rather than the time of the import.
  let t: string | undefined;
  if (!streaming) {
    try {
      t = statSync(file).mtime.toISOString();
    } catch {
      t = undefined;
    }
  }
  switch (agent) {
    case 'claude-code':
      return new ClaudeTranscriptReader(file, t);
    case 'codex':
      return new CodexRolloutReader(file, t);
    case 'gemini-cli':
      return new GeminiChatReader(file, streaming);
    case 'cursor':
      return new CursorTranscriptReader(file, t ?? new Date().toISOString());
  }
}

/** Reads one file. */
export function importFile(agent: SupportedAgent, file: string): ImportResult {
  const text = readFileSync(file, 'utf8');
  if (agent === 'gemini-cli' && file.endsWith('.json')) return readGeminiJson(text, file);
  return runReader(readerFor(agent, file), text, file);
}

function agentOf(agentName: string): SupportedAgent {
  const agent = agentKindOf(agentName);
  if (!agent) throw new AwError('USAGE', `unknown agent '${agentName}' (expected claude, codex, gemini or cursor)`);
  return agent;
}

/** The files `import AGENT PATH` reads, in order. */
export function importFiles(agentName: string, path: string): string[] {
  const agent = agentOf(agentName);
  try {
    return findFiles(path, (n) => acceptsFile(agent, n) && !n.startsWith('.'));
  } catch (err) {
    throw new AwError('IMPORT_PATH', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads one file, turning read errors into a problem instead of an exception. */
export function importFileSafe(agentName: string, file: string): ImportResult {
  try {
    return importFile(agentOf(agentName), file);
  } catch (err) {
    if (err instanceof AwError) throw err;
    const r = emptyResult();
    r.problems.push({ file, line: 0, reason: `cannot read: ${(err as Error).message}` });
    return r;
  }
}

/** Reads a file or every matching file under a directory (recursively). */
export function importPath(agentName: string, path: string): ImportResult {
  const all = emptyResult();
  for (const f of importFiles(agentName, path)) mergeResult(all, importFileSafe(agentName, f));
  return all;
}

// Entry points: read a file or directory tree of one agent's logs into events.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
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
  switch (agent) {
    case 'claude-code':
      return new ClaudeTranscriptReader(file);
    case 'codex':
      return new CodexRolloutReader(file);
    case 'gemini-cli':
      return new GeminiChatReader(file, streaming);
    case 'cursor': {
      let t: string | undefined;
      try {
        t = statSync(file).mtime.toISOString();
      } catch {
        t = undefined;
      }
      return new CursorTranscriptReader(file, t);
    }
  }
}

/** Reads one file. */
export function importFile(agent: SupportedAgent, file: string): ImportResult {
  const text = readFileSync(file, 'utf8');
  if (agent === 'gemini-cli' && file.endsWith('.json')) return readGeminiJson(text, file);
  return runReader(readerFor(agent, file), text, file);
}

/** Reads a file or every matching file under a directory (recursively). */
export function importPath(agentName: string, path: string): ImportResult {
  const agent = agentKindOf(agentName);
  if (!agent) throw new AwError('USAGE', `unknown agent '${agentName}' (expected claude, codex, gemini or cursor)`);
  let files: string[];
  try {
    files = findFiles(path, (n) => acceptsFile(agent, n));
  } catch (err) {
    throw new AwError('IMPORT_PATH', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const all = emptyResult();
  for (const f of files) {
    if (basename(f).startsWith('.')) continue;
    try {
      mergeResult(all, importFile(agent, f));
    } catch (err) {
      all.problems.push({ file: f, line: 0, reason: `cannot read: ${(err as Error).message}` });
    }
  }
  return all;
}

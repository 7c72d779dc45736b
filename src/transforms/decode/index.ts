// Command decoding for exec events (sh -c, python -c, node -e, base64 pipelines, PowerShell).
export { decodeArgv } from './decode.js';
export type { Decoded } from './decode.js';

// Public surface of the HTTP gateway.
export { ForwardProxy, hostAllowed, parseSni, tokenFromHeader } from './forward.js';
export type { ProxyOptions } from './forward.js';
export { ReverseProxy, pathMatches, maskJson } from './reverse.js';

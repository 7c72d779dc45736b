// Agent identity: a short-lived JWT presented as the password (Postgres) or bearer token
// (HTTP). Two trust roots: AgentWarden's own issuer (Ed25519 key under <home>/keys, tokens
// from `agentwarden token issue`) and an external OIDC issuer (JWKS from its discovery
// document). Tokens without `exp` are refused: a credential that never expires is the
// footgun hoop documents ("noExpirySentinel").
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, createRemoteJWKSet, errors as joseErrors, type JWTPayload } from 'jose';
import { ensureSigningKey, type SigningKey } from '../../core/keys.js';
import { AwError } from '../../core/errors.js';
import type { AwPaths } from '../../core/paths.js';
import { GATEWAY_DEFAULTS, parseTtl, type GatewayIdentityConfig } from '../config.js';

export interface Identity {
  subject: string;
  groups: string[];
  issuer: string;
  /** Expiry, ms since epoch. */
  expiresAt: number;
  tokenId?: string;
  /** The agent session this token was issued for (claim `aw_session`), to link gateway events. */
  sessionId?: string;
}

export type IdentityErrorCode = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_NO_EXPIRY' | 'TOKEN_UNKNOWN_ISSUER' | 'TOKEN_TTL';

export const ISSUER_KEY_FILE = 'gateway-issuer-ed25519.pem';

export function issuerKey(paths: AwPaths): SigningKey {
  return ensureSigningKey(paths.keysDir, ISSUER_KEY_FILE, 'agentwarden-gateway-issuer');
}

/** Issues a token from our own issuer. */
export async function issueToken(
  paths: AwPaths,
  cfg: GatewayIdentityConfig | undefined,
  opts: { agent: string; groups: string[]; ttl: string; session?: string },
): Promise<{ token: string; expiresAt: number; id: string }> {
  const ttlMs = parseTtl(opts.ttl);
  const maxMs = parseTtl(cfg?.max_ttl ?? GATEWAY_DEFAULTS.maxTtl);
  if (ttlMs <= 0) throw new AwError<IdentityErrorCode>('TOKEN_TTL', 'the ttl must be positive');
  if (ttlMs > maxMs) throw new AwError<IdentityErrorCode>('TOKEN_TTL', `ttl ${opts.ttl} exceeds gateway.identity.max_ttl (${cfg?.max_ttl ?? GATEWAY_DEFAULTS.maxTtl})`);
  if (!/^[A-Za-z0-9._@:-]{1,128}$/.test(opts.agent)) throw new AwError('USAGE', 'agent name: 1-128 of [A-Za-z0-9._@:-]');
  const key = issuerKey(paths);
  const now = Date.now();
  const expiresAt = now + ttlMs;
  const id = randomUUID();
  const token = await new SignJWT({ groups: opts.groups, ...(opts.session ? { aw_session: opts.session } : {}) })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId.slice(0, 16) })
    .setSubject(opts.agent)
    .setIssuer(cfg?.issuer ?? GATEWAY_DEFAULTS.issuer)
    .setAudience(cfg?.audience ?? GATEWAY_DEFAULTS.audience)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .setJti(id)
    .sign(key.privateKey);
  return { token, expiresAt: Math.floor(expiresAt / 1000) * 1000, id };
}

export class IdentityVerifier {
  private ownKey: SigningKey | undefined;
  private oidc: { issuer: string; jwks: ReturnType<typeof createRemoteJWKSet> } | undefined;
  private oidcLoading: Promise<void> | undefined;

  constructor(private readonly paths: AwPaths, private readonly cfg: GatewayIdentityConfig = {}) {
    if (cfg.own_issuer !== false) this.ownKey = issuerKey(paths);
  }

  private async loadOidc(): Promise<void> {
    const o = this.cfg.oidc;
    if (!o || this.oidc) return;
    this.oidcLoading ??= (async () => {
      const res = await fetch(o.discovery_url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new AwError('OIDC_DISCOVERY', `OIDC discovery ${o.discovery_url}: HTTP ${res.status}`);
      const doc = (await res.json()) as { issuer?: string; jwks_uri?: string };
      if (!doc.issuer || !doc.jwks_uri) throw new AwError('OIDC_DISCOVERY', 'OIDC discovery document lacks issuer or jwks_uri');
      this.oidc = { issuer: doc.issuer, jwks: createRemoteJWKSet(new URL(doc.jwks_uri)) };
    })().catch((err) => {
      this.oidcLoading = undefined;
      throw err;
    });
    await this.oidcLoading;
  }

  /** Verifies a token; throws AwError<IdentityErrorCode> with a message safe to show the agent. */
  async verify(token: string | undefined): Promise<Identity> {
    if (!token) throw new AwError<IdentityErrorCode>('TOKEN_MISSING', 'no token presented (put the AgentWarden token in the password)');
    const parts = token.split('.');
    if (parts.length !== 3) throw new AwError<IdentityErrorCode>('TOKEN_INVALID', 'the password is not a JWT');
    let unverified: JWTPayload;
    try {
      unverified = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as JWTPayload;
    } catch {
      throw new AwError<IdentityErrorCode>('TOKEN_INVALID', 'malformed JWT payload');
    }
    if (typeof unverified.exp !== 'number') throw new AwError<IdentityErrorCode>('TOKEN_NO_EXPIRY', 'token has no expiry (exp); refused');
    const ownIssuer = this.cfg.issuer ?? GATEWAY_DEFAULTS.issuer;
    let payload: JWTPayload;
    let groupsClaim = 'groups';
    let subjectClaim = 'sub';
    try {
      if (this.ownKey && unverified.iss === ownIssuer) {
        ({ payload } = await jwtVerify(token, this.ownKey.publicKey, {
          issuer: ownIssuer,
          audience: this.cfg.audience ?? GATEWAY_DEFAULTS.audience,
          algorithms: ['EdDSA'],
          requiredClaims: ['exp', 'sub'],
        }));
      } else if (this.cfg.oidc) {
        await this.loadOidc();
        const o = this.cfg.oidc;
        if (unverified.iss !== this.oidc!.issuer) throw new AwError<IdentityErrorCode>('TOKEN_UNKNOWN_ISSUER', 'token issuer is not trusted by this gateway');
        ({ payload } = await jwtVerify(token, this.oidc!.jwks, {
          issuer: this.oidc!.issuer,
          audience: o.audience ?? this.cfg.audience ?? GATEWAY_DEFAULTS.audience,
          requiredClaims: ['exp'],
        }));
        groupsClaim = o.groups_claim ?? 'groups';
        subjectClaim = o.subject_claim ?? 'sub';
      } else {
        throw new AwError<IdentityErrorCode>('TOKEN_UNKNOWN_ISSUER', 'token issuer is not trusted by this gateway');
      }
    } catch (err) {
      if (err instanceof AwError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AwError<IdentityErrorCode>('TOKEN_EXPIRED', 'token expired', { cause: err });
      throw new AwError<IdentityErrorCode>('TOKEN_INVALID', `token rejected: ${(err as Error).message}`, { cause: err });
    }
    const groupsRaw = payload[groupsClaim];
    const groups = Array.isArray(groupsRaw) ? groupsRaw.map(String) : typeof groupsRaw === 'string' ? groupsRaw.split(/[ ,]+/).filter(Boolean) : [];
    const subject = String(payload[subjectClaim] ?? '');
    if (!subject) throw new AwError<IdentityErrorCode>('TOKEN_INVALID', `token has no ${subjectClaim}`);
    const sessionId = typeof payload.aw_session === 'string' ? payload.aw_session : undefined;
    return { subject, groups, issuer: String(payload.iss), expiresAt: (payload.exp as number) * 1000, tokenId: payload.jti, sessionId };
  }
}

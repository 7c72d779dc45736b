// Ed25519 signing keys. The store's key is created on first run (mode 0600) and its
// public half is what verifiers trust (`agentwarden key show`).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwError } from './errors.js';

export interface SigningKey {
  /** Human name used in checkpoint signature lines. */
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  publicRaw: Buffer;
  /** sha256 of the raw public key, hex: a stable id for the key. */
  keyId: string;
}

export function rawPublicKey(pub: KeyObject): Buffer {
  const der = pub.export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  const prefix = Buffer.from('302a300506032b6570032100', 'hex');
  return createPublicKey({ key: Buffer.concat([prefix, Buffer.from(raw)]), format: 'der', type: 'spki' });
}

export function signingKeyFrom(privateKey: KeyObject, name: string): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new AwError('KEY_TYPE', `key is ${privateKey.asymmetricKeyType}, expected ed25519`);
  const publicKey = createPublicKey(privateKey);
  const publicRaw = rawPublicKey(publicKey);
  return { name, privateKey, publicKey, publicRaw, keyId: createHash('sha256').update(publicRaw).digest('hex') };
}

/** Loads a PEM private key file. */
export function loadSigningKey(file: string, name = 'agentwarden'): SigningKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AwError('KEY_READ', `cannot read key ${file}: ${(err as Error).message}`, { cause: err });
  }
  return signingKeyFrom(createPrivateKey(pem), name);
}

/** Loads a public key from PEM (SPKI) text or a file path. */
export function loadPublicKey(pemOrFile: string): KeyObject {
  const text = pemOrFile.includes('-----BEGIN') ? pemOrFile : readFileSync(pemOrFile, 'utf8');
  const key = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
  if (key.asymmetricKeyType !== 'ed25519') throw new AwError('KEY_TYPE', `public key is ${key.asymmetricKeyType}, expected ed25519`);
  return key;
}

/** Loads the named key from keysDir, creating it on first use. */
export function ensureSigningKey(keysDir: string, file = 'store-ed25519.pem', name = 'agentwarden'): SigningKey {
  const path = join(keysDir, file);
  if (!existsSync(path)) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    // 'wx' so two processes racing on first run cannot overwrite each other's key.
    try {
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      writeFileSync(path.replace(/\.pem$/, '.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return loadSigningKey(path, name);
}

export function publicKeyPem(key: SigningKey | KeyObject): string {
  const pub = 'publicKey' in key ? key.publicKey : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}

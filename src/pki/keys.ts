/**
 * Private keys: made with node:crypto's asynchronous generateKeyPair (native, on libuv's thread pool,
 * so a whole PKI's keys are made side by side) and written in the PEM forms kubeadm writes.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyType } from '../config/types.js';
import { PkiBadPemError, PkiEncryptedKeyError, PkiUnsupportedKeyError } from './errors.js';
import { describeLabels, pemBlocks, requirePem } from './pem.js';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPair);

const PRIVATE_KEY_LABELS = new Set(['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'PRIVATE KEY']);
const MIN_RSA_BITS = 2048;

/** A new key pair of `type`: RSA 2048 (e=65537) or ECDSA P-256. */
export async function generateKey(type: KeyType): Promise<KeyPair> {
  switch (type) {
    case 'rsa-2048':
      return generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    case 'ecdsa-p256':
      return generate('ec', { namedCurve: 'prime256v1' });
  }
}

/** The private key as kubeadm writes it: PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`. */
export function privateKeyToPem(key: KeyObject): string {
  const type = key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1';
  return key.export({ type, format: 'pem' }).toString();
}

/** The public key as an SPKI `PUBLIC KEY` PEM (what the apiserver's --service-account-key-file reads). */
export function publicKeyToPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** The DER SubjectPublicKeyInfo of a public key, or of a private key's public half. */
export function spkiDer(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

/**
 * Parses an unencrypted PKCS#1, PKCS#8 or SEC1 PEM private key, RSA (2048 bits or more) or EC P-256;
 * throws a PkiError naming `source` for anything else.
 */
export function loadPrivateKey(pem: string, source: string): KeyObject {
  const key = readPrivateKey(pem, source);
  checkKeyAlgorithm(key, source);
  return key;
}

/**
 * Parses an unencrypted PEM private key of any algorithm node:crypto knows: for keys that are only
 * copied (an external etcd client key), where bootkube itself never signs with them.
 */
export function readPrivateKey(pem: string, source: string): KeyObject {
  const blocks = pemBlocks(pem, source);
  requirePem(pem, blocks, source, 'a PEM private key');
  if (
    blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY' || b.headers['Proc-Type']?.includes('ENCRYPTED'))
  ) {
    throw new PkiEncryptedKeyError(source);
  }
  const keys = blocks.filter((b) => PRIVATE_KEY_LABELS.has(b.label));
  if (keys.length === 0) {
    throw new PkiBadPemError(source, `holds ${describeLabels(blocks)}, not a private key`);
  }
  if (keys.length > 1) {
    throw new PkiBadPemError(source, `holds ${keys.length} private keys; expected one`);
  }
  return parsePrivateKey(keys[0]!.text, source);
}

function parsePrivateKey(text: string, source: string): KeyObject {
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_MISSING_PASSPHRASE') {
      throw new PkiEncryptedKeyError(source, { cause });
    }
    throw new PkiBadPemError(source, 'holds a private key block that does not parse', { cause });
  }
}

function checkKeyAlgorithm(key: KeyObject, source: string): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new PkiUnsupportedKeyError(source, `RSA ${bits} bits is too short`);
    return;
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return;
    throw new PkiUnsupportedKeyError(source, `EC curve ${details.namedCurve ?? 'unknown'}`);
  }
  throw new PkiUnsupportedKeyError(source, `${key.asymmetricKeyType ?? 'unknown'} key`);
}

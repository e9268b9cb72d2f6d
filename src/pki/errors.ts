/**
 * The errors of src/pki. All are bad input (exit code 2): PEM text or certificates the user brought,
 * or files in an asset dir that do not fit together. Each names its `source` (a flag such as
 * `--ca-certificate-path`, or a path such as `tls/apiserver.crt`) so the user knows which file to fix.
 */
import { InputError, type BootkubeErrorOptions } from '../errors.js';

export interface PkiErrorOptions extends BootkubeErrorOptions {
  /** The flag or path the bad input came from. */
  source: string;
}

export abstract class PkiError extends InputError {
  readonly source: string;

  constructor(message: string, options: PkiErrorOptions) {
    super(`${options.source}: ${message}`, options);
    this.source = options.source;
  }
}

type DetailOptions = Omit<PkiErrorOptions, 'source'>;

/** Not PEM, not the PEM block expected (a key where a certificate belongs), several where one belongs, or garbage inside. */
export class PkiBadPemError extends PkiError {
  override readonly code = 'PKI_BAD_PEM' as const;
  constructor(source: string, message: string, options: DetailOptions = {}) {
    super(message, {
      hint: 'give a PEM file with exactly one certificate or one private key',
      ...options,
      source,
    });
  }
}

/** A private key protected by a passphrase: bootkube has no way to ask for it. */
export class PkiEncryptedKeyError extends PkiError {
  override readonly code = 'PKI_ENCRYPTED_KEY' as const;
  constructor(source: string, options: DetailOptions = {}) {
    super('the private key is encrypted', {
      hint: 'decrypt it first, e.g. `openssl pkey -in key.pem -out key-plain.pem`',
      ...options,
      source,
    });
  }
}

/** A key algorithm or size other than RSA (2048 bits or more) or ECDSA P-256. */
export class PkiUnsupportedKeyError extends PkiError {
  override readonly code = 'PKI_UNSUPPORTED_KEY' as const;
  constructor(source: string, what: string, options: DetailOptions = {}) {
    super(`unsupported key: ${what}`, {
      hint: 'use an RSA key of 2048 bits or more or an ECDSA P-256 key',
      ...options,
      source,
    });
  }
}

/** A private key that is not the one of the certificate it is paired with. */
export class PkiKeyMismatchError extends PkiError {
  override readonly code = 'PKI_KEY_MISMATCH' as const;
  constructor(source: string, certificateSource: string, options: DetailOptions = {}) {
    super(`the private key does not match the certificate ${certificateSource}`, {
      hint: 'give the private key the certificate was issued for',
      ...options,
      source,
    });
  }
}

/** A certificate used as a CA that is not one, or may not sign certificates. */
export class PkiNotCaError extends PkiError {
  override readonly code = 'PKI_NOT_CA' as const;
  constructor(source: string, why: string, options: DetailOptions = {}) {
    super(`not a certificate authority: ${why}`, {
      hint: 'give a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign)',
      ...options,
      source,
    });
  }
}

/** A certificate past its notAfter. */
export class PkiExpiredError extends PkiError {
  override readonly code = 'PKI_EXPIRED' as const;
  constructor(source: string, notAfter: Date, options: DetailOptions = {}) {
    super(`the certificate expired on ${notAfter.toISOString()}`, {
      hint: 'renew it, or give one that is still valid',
      ...options,
      source,
    });
  }
}

/** A certificate whose notBefore is still in the future. */
export class PkiNotYetValidError extends PkiError {
  override readonly code = 'PKI_NOT_YET_VALID' as const;
  constructor(source: string, notBefore: Date, options: DetailOptions = {}) {
    super(`the certificate is not valid before ${notBefore.toISOString()}`, {
      hint: "check this machine's clock, or give a certificate that is valid now",
      ...options,
      source,
    });
  }
}

/** A certificate not issued (name and signature) by the CA it should chain to. */
export class PkiChainError extends PkiError {
  override readonly code = 'PKI_CHAIN_INVALID' as const;
  constructor(source: string, why: string, options: DetailOptions = {}) {
    super(why, {
      hint: 'give a certificate issued by that CA, or the CA that issued it',
      ...options,
      source,
    });
  }
}

/** A certificate whose extended key usages forbid what it is used for. */
export class PkiBadUsageError extends PkiError {
  override readonly code = 'PKI_BAD_USAGE' as const;
  constructor(source: string, why: string, options: DetailOptions = {}) {
    super(why, { hint: 'give a certificate issued for that use', ...options, source });
  }
}

/** A subject alternative name that cannot go into a certificate: an IP that does not parse, a non-ASCII DNS name. */
export class PkiBadSanError extends PkiError {
  override readonly code = 'PKI_BAD_SAN' as const;
  constructor(source: string, why: string, options: DetailOptions = {}) {
    super(why, { hint: 'IP SANs must be IPv4 or IPv6 addresses, DNS SANs ASCII names', ...options, source });
  }
}

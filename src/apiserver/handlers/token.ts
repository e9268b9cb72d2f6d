/**
 * POST serviceaccounts/<name>/token (TokenRequest): a bound service-account JWT signed with the
 * cluster's service-account key, with the claims kube-apiserver writes (k/k pkg/serviceaccount
 * claims.go), so the real apiserver accepts every token after the hand-off: issuer, audiences,
 * `kubernetes.io` {namespace, serviceaccount, pod, node}, and the kubelet's 3607 s request
 * extended to a year with `warnafter` (--service-account-extend-token-expiration, on by default).
 */
import { createHash, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { Errors } from '../status.js';
import { decodeBody, respond } from './content.js';
import type { Scope } from './context.js';
import { admitForNode, lookup, readObject, type Obj } from './objects.js';
import type { ApiResponse } from './types.js';

const WARN_ONLY_EXPIRATION = 3607;
const EXTENDED_EXPIRATION = 365 * 24 * 3600;
const MIN_EXPIRATION = 600;

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The `kid` kube-apiserver puts in token headers: base64url(SHA-256(PKIX DER of the public key)). */
export function keyId(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return b64url(createHash('sha256').update(der).digest());
}

/** A compact JWS of claims: RS256 for RSA keys, ES256/384/512 for EC keys (raw r||s signatures). */
export function signJwt(key: KeyObject, claims: Record<string, unknown>): string {
  let alg: string;
  let hash: string;
  if (key.asymmetricKeyType === 'rsa') ((alg = 'RS256'), (hash = 'sha256'));
  else if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    [alg, hash] =
      curve === 'secp384r1'
        ? ['ES384', 'sha384']
        : curve === 'secp521r1'
          ? ['ES512', 'sha512']
          : ['ES256', 'sha256'];
  } else {
    throw Errors.internal(`service-account key type ${key.asymmetricKeyType} cannot sign tokens`);
  }
  const input = `${b64url(JSON.stringify({ alg, kid: keyId(key) }))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

export async function createToken(scope: Scope): Promise<ApiResponse> {
  const { ctx } = scope;
  // Without a signing key the token subresource is not installed at all (bootstrap mode).
  if (!ctx.serviceAccountKey) throw Errors.pathNotFound();
  const req = (decodeBody(scope.req) as Obj) ?? {};
  const spec: Obj = { ...(req.spec ?? {}) };
  const sa = (await readObject(scope)).object;
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  if (typeof expirationSeconds !== 'number' || expirationSeconds < MIN_EXPIRATION) {
    throw Errors.invalid({ group: 'authentication.k8s.io', kind: 'TokenRequest' }, '', [
      {
        field: 'spec.expirationSeconds',
        type: 'FieldValueInvalid',
        message: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
      },
    ]);
  }
  const audiences: string[] =
    Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : [ctx.issuer];
  await admitForNode(scope, { operation: 'create', object: { ...req, spec } });
  const k8s: Obj = { namespace: scope.namespace };
  const ref = spec.boundObjectRef as Obj | undefined;
  let podNode: string | undefined;
  if (ref) {
    const plural =
      ref.kind === 'Pod' ? 'pods' : ref.kind === 'Secret' ? 'secrets' : ref.kind === 'Node' ? 'nodes' : '';
    if (!plural) throw Errors.badRequest(`cannot bind token to object of type ${ref.kind}`);
    const target = await lookup(ctx, ctx.registry, '', plural, scope.namespace, String(ref.name ?? ''));
    if (!target) throw Errors.notFound({ group: '', resource: plural }, String(ref.name ?? ''));
    if (ref.uid && ref.uid !== target.metadata?.uid) {
      throw Errors.conflict(
        { group: '', resource: plural },
        String(ref.name),
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    if (ref.kind === 'Pod') {
      const podSa = target.spec?.serviceAccountName || 'default';
      if (podSa !== scope.name)
        throw Errors.badRequest(
          `cannot bind token for serviceaccount "${scope.name}" to pod running with different serviceaccount name.`,
        );
      k8s.pod = { name: target.metadata.name, uid: target.metadata.uid };
      podNode = target.spec?.nodeName;
    } else if (ref.kind === 'Secret') {
      k8s.secret = { name: target.metadata.name, uid: target.metadata.uid };
    } else {
      k8s.node = { name: target.metadata.name, uid: target.metadata.uid };
    }
  }
  if (podNode) {
    const node = await lookup(ctx, ctx.registry, '', 'nodes', '', podNode);
    if (node) k8s.node = { name: podNode, uid: node.metadata?.uid };
  }
  k8s.serviceaccount = { name: scope.name, uid: sa.metadata?.uid };
  const iat = Math.floor(Date.now() / 1000);
  let exp = iat + expirationSeconds;
  if (expirationSeconds === WARN_ONLY_EXPIRATION && ref?.kind === 'Pod') {
    k8s.warnafter = exp;
    exp = iat + EXTENDED_EXPIRATION;
  }
  const ordered: Obj = {};
  for (const key of ['namespace', 'node', 'pod', 'secret', 'serviceaccount', 'warnafter'])
    if (k8s[key] !== undefined) ordered[key] = k8s[key];
  const claims = {
    aud: audiences,
    exp,
    iat,
    iss: ctx.issuer,
    jti: randomUUID(),
    'kubernetes.io': ordered,
    nbf: iat,
    sub: `system:serviceaccount:${scope.namespace}:${scope.name}`,
  };
  const token = signJwt(ctx.serviceAccountKey, claims);
  const expirationTimestamp = new Date((iat + expirationSeconds) * 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  return respond(
    201,
    {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: {
        name: scope.name,
        namespace: scope.namespace,
        creationTimestamp: new Date(iat * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      spec: ref ? { audiences, expirationSeconds, boundObjectRef: ref } : { audiences, expirationSeconds },
      status: { token, expirationTimestamp },
    },
    scope.output,
  );
}

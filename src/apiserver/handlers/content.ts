/**
 * Content negotiation (apiserver pkg/endpoints/handlers/negotiation): JSON and YAML out, JSON and
 * YAML in. Protobuf is never spoken: an Accept that allows JSON gets JSON (client-go decodes by
 * the response's Content-Type, reference §2.2), an Accept of protobuf alone gets 406, and a
 * protobuf body gets 415 naming the kubelet setting that fixes it, because client-go never falls
 * back to JSON by itself (reference §0.1).
 */
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { Errors } from '../status.js';
import type { ApiRequest, ApiResponse } from './types.js';

export type OutputKind = 'json' | 'yaml' | 'table' | 'discovery';

export interface Output {
  kind: OutputKind;
  pretty: boolean;
}

interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

const ACCEPTED = ['application/json', 'application/yaml'];
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
export const JSON_TYPE = 'application/json';
export const DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function parseAccept(header: string): MediaRange[] {
  const ranges = header
    .split(',')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      let q = 1;
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq < 0) continue;
        const k = p.slice(0, eq).trim().toLowerCase();
        const v = p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
        if (k === 'q') q = Number(v);
        else params[k] = v;
      }
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
    })
    .filter((r) => r.type && r.q > 0);
  // Stable: equal q keeps the client's order, as goautoneg does.
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || a.i - b.i)
    .map((x) => x.r);
}

export interface NegotiateOptions {
  /** Lists and gets of resources may be asked for as meta.k8s.io Tables (kubectl get). */
  table?: boolean;
  /** /api and /apis may answer with aggregated discovery. */
  discovery?: boolean;
}

/** The output for the request's Accept header; 406 when nothing it accepts can be written. */
export function negotiate(req: ApiRequest, query: URLSearchParams, opts: NegotiateOptions = {}): Output {
  const pretty = query.get('pretty') === 'true' || query.get('pretty') === '1';
  const header = req.headers.accept;
  if (!header || !header.trim()) return { kind: 'json', pretty };
  for (const r of parseAccept(header)) {
    const as = r.params.as;
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') {
      if (!as) return { kind: 'json', pretty };
      if (
        opts.table &&
        as === 'Table' &&
        r.params.g === 'meta.k8s.io' &&
        (r.params.v === 'v1' || r.params.v === 'v1beta1')
      ) {
        return { kind: 'table', pretty };
      }
      if (
        opts.discovery &&
        as === 'APIGroupDiscoveryList' &&
        r.params.g === 'apidiscovery.k8s.io' &&
        r.params.v === 'v2'
      ) {
        return { kind: 'discovery', pretty };
      }
      // Other transformations (PartialObjectMetadata, older discovery) are not served: try the next range.
      continue;
    }
    if (r.type === 'application/yaml' && !as) return { kind: 'yaml', pretty };
  }
  throw Errors.notAcceptable(ACCEPTED);
}

/** The request body as a JSON value: JSON or YAML; 415 for anything else (protobuf above all). */
export function decodeBody(req: ApiRequest, what = 'the object'): unknown {
  const body = req.body ?? Buffer.alloc(0);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === PROTOBUF || body.subarray(0, 4).equals(Buffer.from('k8s\0', 'latin1'))) {
    throw Errors.unsupportedMediaType(ACCEPTED, protobufHint(req.headers['user-agent'] ?? ''));
  }
  if (body.length === 0) throw Errors.badRequest(`the body of the request was empty: ${what} is required`);
  if (type === '' || type === 'application/json' || type === '*/*') return parseJson(body);
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      return parseYaml(body.toString('utf8'));
    } catch (e) {
      throw Errors.badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
  }
  throw Errors.unsupportedMediaType(ACCEPTED);
}

/** What to do about a protobuf body, for the client that sent it. */
export function protobufHint(userAgent: string): string {
  const base = 'this API server does not decode protobuf';
  if (/^kubelet\//.test(userAgent)) {
    return `${base}: set \`contentType: application/json\` in the kubelet config file (bootkube render writes it) or pass --kube-api-content-type=application/json`;
  }
  if (/^kubectl\//.test(userAgent)) {
    // client-go >= 1.32 typed clients prefer protobuf (reference §0.2): kubectl's generators use them.
    return `${base}, which kubectl's typed commands (create configmap/secret/…, 1.32+) send: write the object as a manifest and use kubectl create -f or kubectl apply -f`;
  }
  return `${base}: set ContentType = "application/json" in the client's rest.Config (client-go >= 1.32 prefers protobuf for built-in types)`;
}

/** JSON.parse with the real server's 400 wording. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw Errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

/** A response carrying value, written as the negotiated output asks. */
export function respond(
  status: number,
  value: unknown,
  out: Output = { kind: 'json', pretty: false },
  headers: Record<string, string> = {},
): ApiResponse {
  if (out.kind === 'yaml') {
    return { status, headers: { 'Content-Type': 'application/yaml', ...headers }, body: toYaml(value) };
  }
  const type = out.kind === 'discovery' ? DISCOVERY_V2 : JSON_TYPE;
  const text = out.pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  // The JSON serializer's Encode ends with a newline; kubectl's raw output shows it.
  return { status, headers: { 'Content-Type': type, ...headers }, body: `${text}\n` };
}

/** A plain-text answer (health checks). */
export function text(status: number, body: string): ApiResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body,
  };
}

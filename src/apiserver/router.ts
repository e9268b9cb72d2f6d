/**
 * URL → request info, as kube-apiserver's RequestInfoFactory reads it (apiserver
 * pkg/endpoints/request/requestinfo.go), and the query parameters of each verb, checked as
 * metainternalversion's ListOptions validation checks them. Authorization and the handlers both
 * work from this one reading, so they can never disagree about what a request asks for.
 */
import { Errors } from './status.js';

export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  isResourceRequest: boolean;
  /** Resource verbs: get list watch create update patch delete deletecollection; otherwise the lower-cased method. */
  verb: string;
  apiPrefix: '' | 'api' | 'apis';
  group: string;
  version: string;
  /** For `namespaces/<n>` this is `<n>` too, as the real parser sets it. */
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** The path parts from the resource on: resource/name/subresource/… */
  parts: string[];
  /** Only for list, watch and deletecollection (what the node authorizer may look at). */
  fieldSelector?: string;
  labelSelector?: string;
}

const API_PREFIXES = new Set(['api', 'apis']);
// Namespace subresources: `namespaces/<n>/status` is not a resource called status in namespace <n>.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Reads method and URL (path and query) into a RequestInfo; never throws. */
export function parseRequestInfo(method: string, url: string): RequestInfo {
  const parsed = new URL(url, 'https://apiserver.invalid');
  const path = parsed.pathname;
  const info: RequestInfo = {
    method: method.toUpperCase(),
    path,
    query: parsed.searchParams,
    isResourceRequest: false,
    verb: method.toLowerCase(),
    apiPrefix: '',
    group: '',
    version: '',
    namespace: '',
    resource: '',
    name: '',
    subresource: '',
    parts: [],
  };
  let parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(safeDecode);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return info;
  const prefix = parts[0] as 'api' | 'apis';
  parts = parts.slice(1);
  let group = '';
  if (prefix === 'apis') {
    if (parts.length < 3) return info;
    group = parts[0]!;
    parts = parts.slice(1);
  }
  info.apiPrefix = prefix;
  info.group = group;
  info.isResourceRequest = true;
  info.version = parts[0]!;
  parts = parts.slice(1);

  let verbViaPath = false;
  if (parts[0] === 'watch') {
    // The deprecated /watch/ path prefix: still served, so kubectl of any age works.
    verbViaPath = true;
    info.verb = 'watch';
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[info.method] ?? '';
  }
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1]!;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  info.parts = parts;
  info.resource = parts[0] ?? '';
  info.name = parts[1] ?? '';
  info.subresource = parts[2] ?? '';

  if (!info.name && info.verb === 'get') {
    info.verb = isTrue(info.query.get('watch')) ? 'watch' : 'list';
    // A list or watch narrowed to one name by field selector is authorized as that name.
    const byName = exactName(info.query.get('fieldSelector') ?? '');
    if (byName) info.name = byName;
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  if (!verbViaPath && (info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection')) {
    const fs = info.query.get('fieldSelector');
    const ls = info.query.get('labelSelector');
    if (fs !== null) info.fieldSelector = fs;
    if (ls !== null) info.labelSelector = ls;
  }
  return info;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// fields.Selector.RequiresExactMatch("metadata.name"): one `=`/`==` term on metadata.name.
function exactName(selector: string): string {
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*([^=!\s]+)\s*$/.exec(term);
    if (m && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(m[1]!)) return m[1]!;
  }
  return '';
}

/** Go's strconv.ParseBool, which the query parameter codec uses. */
export function isTrue(v: string | null): boolean {
  return v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}

function parseBool(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False', ''].includes(v)) return false;
  throw Errors.badRequest(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function parseInt64(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw Errors.badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

export interface ListQuery {
  watch: boolean;
  labelSelector: string;
  fieldSelector: string;
  /** undefined: not given (a consistent read); '0': any; else a revision. */
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: number;
  limit?: number;
  continue?: string;
  allowWatchBookmarks: boolean;
  /** The Table rows' embedded object: None, Metadata (default) or Object. */
  includeObject: string;
}

/**
 * The query of a list or watch (metav1.ListOptions), refused as the real server refuses it:
 * `sendInitialEvents` is answered with the Status of a server whose WatchList gate is off, so a
 * watch-list client falls back to list+watch instead of waiting for a bookmark that never comes.
 */
export function parseListQuery(query: URLSearchParams, forceWatch = false): ListQuery {
  const watch = forceWatch || (parseBool(query, 'watch') ?? false);
  const rv = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const cont = query.get('continue') ?? '';
  const sendInitial = query.has('sendInitialEvents') ? parseBool(query, 'sendInitialEvents') : undefined;
  const errs: Array<{ field: string; type: string; message: string }> = [];
  const forbid = (field: string, detail: string) =>
    errs.push({ field, type: 'FieldValueForbidden', message: `Forbidden: ${detail}` });
  if (watch) {
    if (sendInitial !== undefined) {
      if (match !== 'NotOlderThan')
        forbid(
          'resourceVersionMatch',
          'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
        );
      forbid(
        'sendInitialEvents',
        'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
      );
    }
    if (match) {
      if (sendInitial === undefined)
        forbid(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        );
      if (match !== 'NotOlderThan')
        errs.push({
          field: 'resourceVersionMatch',
          type: 'FieldValueNotSupported',
          message: `Unsupported value: "${match}": supported values: "NotOlderThan"`,
        });
    }
  } else {
    if (match) {
      if (!rv)
        forbid(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden unless resourceVersion is provided',
        );
      if (cont) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        errs.push({
          field: 'resourceVersionMatch',
          type: 'FieldValueNotSupported',
          message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`,
        });
      }
      if (match === 'Exact' && rv === '0')
        forbid('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (sendInitial !== undefined) forbid('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  }
  if (errs.length > 0) throw Errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', errs);
  if (rv && !/^\d+$/.test(rv)) throw Errors.badRequest(`invalid resource version: ${rv}`);
  const limit = parseInt64(query, 'limit');
  const timeoutSeconds = parseInt64(query, 'timeoutSeconds');
  return {
    watch,
    labelSelector: query.get('labelSelector') ?? '',
    fieldSelector: query.get('fieldSelector') ?? '',
    resourceVersion: rv || undefined,
    resourceVersionMatch: match || undefined,
    timeoutSeconds: timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds : undefined,
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    continue: cont || undefined,
    allowWatchBookmarks: parseBool(query, 'allowWatchBookmarks') ?? false,
    includeObject: query.get('includeObject') || 'Metadata',
  };
}

export interface WriteQuery {
  /** dryRun=All: everything but the write. */
  dryRun: boolean;
}

/** dryRun (All, or nothing); fieldManager and fieldValidation are accepted and ignored (no managed fields here). */
export function parseWriteQuery(query: URLSearchParams): WriteQuery {
  const dry = query.getAll('dryRun');
  for (const d of dry) {
    if (d !== 'All') {
      throw Errors.invalid({ group: 'meta.k8s.io', kind: 'CreateOptions' }, '', [
        {
          field: 'dryRun',
          type: 'FieldValueNotSupported',
          message: `Unsupported value: []string{"${d}"}: supported values: "All"`,
        },
      ]);
    }
  }
  return { dryRun: dry.length > 0 };
}

export interface DeleteQuery {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

/** DeleteOptions from the body (kubelet, client-go) or, without one, from the query (kubectl --grace-period). */
export function parseDeleteOptions(
  body: Record<string, unknown> | undefined,
  query: URLSearchParams,
): DeleteQuery {
  if (body && Object.keys(body).length > 0) {
    const pre = body.preconditions as { uid?: string; resourceVersion?: string } | undefined;
    const dry = Array.isArray(body.dryRun) ? (body.dryRun as string[]) : [];
    const grace = body.gracePeriodSeconds;
    if (grace !== undefined && grace !== null && typeof grace !== 'number')
      throw Errors.badRequest('gracePeriodSeconds must be a number');
    return {
      gracePeriodSeconds: typeof grace === 'number' ? grace : undefined,
      propagationPolicy: typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined,
      preconditions:
        pre && typeof pre === 'object'
          ? { uid: pre.uid ?? undefined, resourceVersion: pre.resourceVersion ?? undefined }
          : undefined,
      dryRun: dry.includes('All'),
    };
  }
  const uid = query.get('preconditions.uid') ?? undefined;
  const resourceVersion = query.get('preconditions.resourceVersion') ?? undefined;
  return {
    gracePeriodSeconds: parseInt64(query, 'gracePeriodSeconds'),
    propagationPolicy: query.get('propagationPolicy') ?? undefined,
    preconditions: uid || resourceVersion ? { uid, resourceVersion } : undefined,
    dryRun: parseWriteQuery(query).dryRun,
  };
}

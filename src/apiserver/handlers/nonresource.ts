/**
 * The paths that are not resources: health (/healthz, /livez, /readyz with ?verbose and one path
 * per check), /version, discovery (/api, /apis, aggregated when asked), OpenAPI v2 and v3. Anything
 * else is the mux's 404 Status.
 */
import {
  aggregatedDiscovery,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV2,
  openApiV3Paths,
  openApiV3Schema,
  versionInfo,
} from '../discovery/index.js';
import type { RequestInfo } from '../router.js';
import { Errors } from '../status.js';
import { negotiate, respond, text } from './content.js';
import type { ServerContext } from './context.js';
import type { ApiRequest, ApiResponse } from './types.js';

type Check = { name: string; run: () => Promise<void> };

function checks(ctx: ServerContext, which: string): Check[] {
  const list: Check[] = [
    { name: 'ping', run: async () => {} },
    { name: 'log', run: async () => {} },
    { name: 'etcd', run: async () => void (await ctx.storage.currentRevision()) },
  ];
  if (which === 'readyz') {
    list.push({
      name: 'shutdown',
      run: async () => {
        if (ctx.isShuttingDown()) throw new Error('the API server is shutting down');
      },
    });
  }
  return list;
}

async function health(
  ctx: ServerContext,
  which: string,
  only: string | undefined,
  verbose: boolean,
): Promise<ApiResponse> {
  let all = checks(ctx, which);
  if (only) {
    all = all.filter((c) => c.name === only);
    if (all.length === 0) throw Errors.pathNotFound();
  }
  const lines: string[] = [];
  let failed = false;
  for (const c of all) {
    try {
      await c.run();
      lines.push(`[+]${c.name} ok`);
    } catch {
      failed = true;
      // kube-apiserver withholds failure reasons from the response (they go to its log).
      lines.push(`[-]${c.name} failed: reason withheld`);
    }
  }
  if (!failed && !verbose) return text(200, 'ok');
  if (only && !failed) return text(200, 'ok');
  lines.push(failed ? `${which} check failed` : `${which} check passed`);
  return text(failed ? 500 : 200, `${lines.join('\n')}\n`);
}

/** Serves a non-resource GET; 404 Status for unknown paths, 405 for other methods on known ones. */
export async function serveNonResource(
  ctx: ServerContext,
  req: ApiRequest,
  info: RequestInfo,
): Promise<ApiResponse> {
  const path = info.path.replace(/\/+$/, '') || '/';
  const m = /^\/(healthz|livez|readyz)(?:\/([^/]+))?$/.exec(path);
  if (info.method !== 'GET' && info.method !== 'HEAD') {
    if (m || path === '/version' || path.startsWith('/api') || path.startsWith('/openapi')) {
      throw Errors.methodNotSupported({ group: '', resource: '' }, info.method);
    }
    throw Errors.pathNotFound();
  }
  if (m) return health(ctx, m[1]!, m[2], info.query.has('verbose'));
  if (path === '/version') return respond(200, versionInfo(ctx.gitVersion), negotiate(req, info.query));
  if (path === '/api') {
    const out = negotiate(req, info.query, { discovery: true });
    return respond(
      200,
      out.kind === 'discovery' ? aggregatedDiscovery(ctx.registry, 'api') : apiVersions(),
      out,
    );
  }
  if (path === '/apis') {
    const out = negotiate(req, info.query, { discovery: true });
    return respond(
      200,
      out.kind === 'discovery' ? aggregatedDiscovery(ctx.registry, 'apis') : apiGroupList(ctx.registry),
      out,
    );
  }
  const out = negotiate(req, info.query);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2)
    return found(apiResourceList(ctx.registry, '', parts[1]!), out);
  if (parts[0] === 'apis' && parts.length === 3)
    return found(apiResourceList(ctx.registry, parts[1]!, parts[2]!), out);
  if (parts[0] === 'apis' && parts.length === 2) {
    const groups = (apiGroupList(ctx.registry) as { groups: Array<Record<string, unknown>> }).groups;
    const g = groups.find((x) => x.name === parts[1]);
    return found(g && { kind: 'APIGroup', apiVersion: 'v1', ...g }, out);
  }
  if (path === '/openapi/v2') return respond(200, openApiV2(ctx.registry), out);
  if (path === '/openapi/v3') return respond(200, openApiV3Paths(ctx.registry), out);
  if (parts[0] === 'openapi' && parts[1] === 'v3' && parts.length >= 4) {
    const [prefix, a, b] = parts.slice(2);
    if (prefix === 'api' && a && !b) return found(openApiV3Schema(ctx.registry, '', a), out);
    if (prefix === 'apis' && a && b) return found(openApiV3Schema(ctx.registry, a, b), out);
  }
  throw Errors.pathNotFound();
}

function found(doc: object | undefined, out: ReturnType<typeof negotiate>): ApiResponse {
  if (!doc) throw Errors.pathNotFound();
  return respond(200, doc, out);
}

/**
 * The request pipeline below the TLS edge: route → authenticate → authorize → handler, with every
 * failure written as a Status and one log line per request. `handle()` is the whole API server
 * without sockets; server.ts only moves bytes.
 */
import { authenticate, authorize, ANONYMOUS, type UserInfo } from '../auth/index.js';
import { parseRequestInfo } from '../router.js';
import { toApiError } from '../status.js';
import { ServiceAllocator, parseCidr } from './allocator.js';
import { respond } from './content.js';
import type { ServerContext } from './context.js';
import { storageNodeGraph } from './graph.js';
import { serveNonResource } from './nonresource.js';
import { resolveScope, serveResource } from './resource.js';
import type { ApiRequest, ApiResponse } from './types.js';

export type { ApiRequest, ApiResponse, RequestLog } from './types.js';
export type { ServerContext, WatchSettings, Scope } from './context.js';
export { ServiceAllocator, parseCidr, firstServiceIP } from './allocator.js';
export { ensureObject, populateNamespace, SYSTEM_NAMESPACES } from './namespace.js';
export { signJwt, keyId } from './token.js';

export interface ApiHandler {
  handle(req: ApiRequest): Promise<ApiResponse>;
  /** Service IPs are allocated here for every create path (start-up objects included). */
  allocator: ServiceAllocator;
}

/** One log line per request (kube-apiserver's httplog at -v=2). */
export type RequestLogger = (line: string) => void;

export function createApiHandler(ctx: ServerContext, requestLog?: RequestLogger): ApiHandler {
  const graph = storageNodeGraph(ctx);
  const allocator = new ServiceAllocator(ctx.storage, parseCidr(ctx.serviceCidr));
  const handle = async (req: ApiRequest): Promise<ApiResponse> => {
    const started = process.hrtime.bigint();
    const info = parseRequestInfo(req.method, req.url);
    let user: UserInfo = ANONYMOUS;
    let res: ApiResponse;
    let gr: { group: string; resource: string } | undefined;
    try {
      user = authenticate(req.peer);
      await authorize(user, info, { mode: ctx.mode, nodeName: ctx.nodeName, graph });
      if (info.isResourceRequest) {
        const scope = resolveScope(ctx, req, info, user);
        gr = scope.gr;
        res = await serveResource(scope, allocator, req.signal ?? ctx.signal);
      } else {
        res = await serveNonResource(ctx, req, info);
      }
    } catch (e) {
      const err = toApiError(
        e,
        gr ?? (info.resource ? { group: info.group, resource: info.resource } : undefined),
        info.name,
      );
      if (err.code >= 500 && err.code !== 503 && err.code !== 504)
        ctx.log(`${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
      res = respond(err.code, err.status, { kind: 'json', pretty: false }, err.headers);
    }
    if (requestLog) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = `"HTTP" verb="${info.verb.toUpperCase()}" URI="${req.url}" latency="${ms.toFixed(3)}ms" userAgent="${req.headers['user-agent'] ?? ''}" user="${user.name}" srcIP="${req.remoteAddress ?? ''}" resp=${res.status}`;
      if (res.stream)
        res.stream.once('close', () =>
          requestLog(
            `${line} (watch closed after ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)}s)`,
          ),
        );
      else requestLog(line);
    }
    return res;
  };
  return { handle, allocator };
}

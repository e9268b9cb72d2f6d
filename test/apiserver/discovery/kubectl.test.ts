// The real kubectl against these discovery and OpenAPI documents, served by a throwaway node:http
// server on port 0 (the router is not this part's): it must find every resource, both through
// aggregated and legacy discovery, and pass `kubectl apply`'s default validation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRegistry } from '../../../src/apiserver/registry/index.js';
import * as discovery from '../../../src/apiserver/discovery/index.js';

const run = promisify(execFile);
const kubectlMissing = await run('kubectl', ['version', '--client']).then(
  () => false,
  () => 'kubectl is not installed',
);

const reg = createRegistry();
reg.syncCustomResources([
  {
    metadata: { name: 'shirts.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'shirts', kind: 'Shirt', shortNames: ['sh'] },
      versions: [{ name: 'v1', served: true, storage: true }],
    },
  },
]);

/** Just the discovery routes, answered as the handlers will; every object is NotFound. */
function serve(aggregated: boolean, seen: string[]): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    seen.push(url.pathname);
    const parts = url.pathname.split('/').filter(Boolean);
    const send = (code: number, body: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(JSON.stringify(body));
    };
    const wantsAggregated = aggregated && String(req.headers.accept).includes('as=APIGroupDiscoveryList');
    let body: object | undefined;
    if (url.pathname === '/api' || url.pathname === '/apis') {
      if (wantsAggregated) {
        const which = url.pathname === '/api' ? 'api' : 'apis';
        return send(
          200,
          discovery.aggregatedDiscovery(reg, which),
          discovery.AGGREGATED_DISCOVERY_CONTENT_TYPE.v2,
        );
      }
      body = url.pathname === '/api' ? discovery.apiVersions('127.0.0.1:6443') : discovery.apiGroupList(reg);
    } else if (url.pathname === '/version') body = discovery.versionInfo('v1.32.4');
    else if (url.pathname === '/openapi/v3') body = discovery.openApiV3Paths(reg);
    else if (parts[0] === 'openapi' && parts[1] === 'v3') {
      body =
        parts[2] === 'api'
          ? discovery.openApiV3Schema(reg, '', parts[3])
          : discovery.openApiV3Schema(reg, parts[3], parts[4]);
    } else if (parts[0] === 'api' && parts.length === 2) body = discovery.apiResourceList(reg, '', parts[1]);
    else if (parts[0] === 'apis' && parts.length === 3)
      body = discovery.apiResourceList(reg, parts[1], parts[2]);
    if (body) return send(200, body);
    send(404, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'not found',
    });
  });
}

describe('kubectl', { skip: kubectlMissing }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootkube-kubectl-'));
    await writeFile(
      join(dir, 'objects.yaml'),
      [
        'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: nginx}]',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx}]',
        'apiVersion: stable.example.com/v1\nkind: Shirt\nmetadata: {name: s1}\nspec: {color: red}',
      ].join('\n---\n'),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const aggregated of [true, false]) {
    test(`${aggregated ? 'aggregated' : 'legacy'} discovery: api-resources and a validated apply`, async () => {
      const seen: string[] = [];
      const server = serve(aggregated, seen).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const kubeconfig = join(dir, `kubeconfig-${port}`);
        await writeFile(
          kubeconfig,
          `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]\ncurrent-context: x\n`,
        );
        const kubectl = (...args: string[]) =>
          run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, `cache-${port}`), ...args], {
            timeout: 60_000,
            env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig },
          });
        const { stdout } = await kubectl('api-resources', '-o', 'name');
        const names = stdout.trim().split('\n');
        for (const name of [
          'pods',
          'nodes',
          'leases.coordination.k8s.io',
          'csinodes.storage.k8s.io',
          'shirts.stable.example.com',
          'events.events.k8s.io',
        ]) {
          assert.ok(names.includes(name), `${name} in ${names.join(' ')}`);
        }
        const applied = await kubectl('apply', '--dry-run=client', '-f', join(dir, 'objects.yaml'));
        assert.deepEqual(applied.stdout.trim().split('\n'), [
          'pod/web created (dry run)',
          'deployment.apps/web created (dry run)',
          'shirt.stable.example.com/s1 created (dry run)',
        ]);
        // validation asked the server's OpenAPI whether it checks fields itself (reference §4.5)
        assert.ok(seen.includes('/openapi/v3') && seen.includes('/openapi/v3/apis/apps/v1'), seen.join(' '));
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});

/**
 * Just enough OpenAPI for kubectl (reference §4.5), generated from the registry rather than
 * copied from kube-apiserver's spec:
 * - `kubectl apply`/`create` validate by default: kubectl reads /openapi/v3, then the group
 *   version's document, and looks for a PATCH operation carrying x-kubernetes-group-version-kind
 *   with a `fieldValidation` query parameter (cli-runtime query_param_verifier_v3.go). Found, it
 *   leaves validation to the server (?fieldValidation=Strict) and needs no schemas.
 * - The PATCH request bodies deliberately do not list application/strategic-merge-patch+json:
 *   kubectl's apply patcher would then build its patch from these (permissive) schemas and lose
 *   list merge keys; without it kubectl falls back to its compiled-in types (patcher.go
 *   gvkSupportsPatchOpenAPIV3), which know them.
 * - Component schemas keep unknown fields and carry the GVK, enough for `kubectl explain` to
 *   find a kind.
 */
import { createHash } from 'node:crypto';
import type { Registry, ResourceInfo } from '../registry/types.js';
import { groupVersion, servedGroups } from './groups.js';

/** The Go package path kube-openapi names a built-in group's definitions by. */
function schemaName(info: ResourceInfo): string {
  if (info.crd !== undefined)
    return `${info.group.split('.').reverse().join('.')}.${info.version}.${info.kind}`;
  if (info.group === 'apiextensions.k8s.io') {
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${info.version}.${info.kind}`;
  }
  const pkg = info.group === '' ? 'core' : info.group.split('.')[0];
  return `io.k8s.api.${pkg}.${info.version}.${info.kind}`;
}

function gvkExtension(info: ResourceInfo): { group: string; version: string; kind: string } {
  return { group: info.group, version: info.version, kind: info.kind };
}

/** The paths of a resource: its collection and its items, namespaced or not. */
function paths(info: ResourceInfo): { collection: string; item: string } {
  const root = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const scope = info.namespaced ? `${root}/namespaces/{namespace}` : root;
  return { collection: `${scope}/${info.plural}`, item: `${scope}/${info.plural}/{name}` };
}

const FIELD_VALIDATION_DESCRIPTION =
  'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default), Strict.';

function objectSchema(info: ResourceInfo): object {
  return {
    type: 'object',
    description: `${info.kind} (${groupVersion(info.group, info.version)}), as served by the bootkube API shim.`,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-group-version-kind': [gvkExtension(info)],
  };
}

/** An OpenAPI v3 document for one group version; undefined when it is not served. */
export function openApiV3Schema(reg: Registry, group: string, version: string): object | undefined {
  const resources = servedGroups(reg)
    .find((g) => g.group === group)
    ?.resources.get(version);
  if (!resources) return undefined;
  const docPaths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  for (const info of resources) {
    const ref = { $ref: `#/components/schemas/${schemaName(info)}` };
    const json = { 'application/json': { schema: ref } };
    const gvk = gvkExtension(info);
    const { collection, item } = paths(info);
    const pathParams = [
      ...(info.namespaced
        ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }]
        : []),
    ];
    const query = (name: string, description: string) => ({
      name,
      in: 'query',
      description,
      schema: { type: 'string', uniqueItems: true },
    });
    const writeParams = [
      query('dryRun', 'When present, indicates that modifications should not be persisted.'),
      query(
        'fieldManager',
        'fieldManager is a name associated with the actor or entity that is making these changes.',
      ),
      query('fieldValidation', FIELD_VALIDATION_DESCRIPTION),
    ];
    const op = (action: string, body: boolean, params: object[] = []) => ({
      ...(body ? { requestBody: { content: json, required: true } } : {}),
      parameters: params,
      responses: { '200': { description: 'OK', content: json } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    });
    schemas[schemaName(info)] = objectSchema(info);
    if (info.virtual) {
      docPaths[collection] = { parameters: pathParams, post: op('post', true, writeParams) };
      continue;
    }
    docPaths[collection] = {
      parameters: pathParams,
      get: op('list', false),
      post: op('post', true, writeParams),
    };
    docPaths[item] = {
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }, ...pathParams],
      get: op('get', false),
      put: op('put', true, writeParams),
      delete: op('delete', false),
      patch: {
        ...op('patch', false, [...writeParams, query('force', 'Force is going to "force" Apply requests.')]),
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
          },
          required: true,
        },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: docPaths,
    components: { schemas },
  };
}

/** GET /openapi/v3: every served group version and where its document is (the hash changes with it). */
export function openApiV3Paths(reg: Registry): object {
  const index: Record<string, { serverRelativeURL: string }> = {};
  for (const g of servedGroups(reg)) {
    for (const version of g.versions) {
      const path = g.group ? `apis/${g.group}/${version}` : `api/${version}`;
      const doc = openApiV3Schema(reg, g.group, version);
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
      index[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
    }
  }
  return { paths: index };
}

/**
 * GET /openapi/v2 as JSON (Swagger 2.0): definitions for every kind. client-go asks for v2 only
 * as protobuf, so kubectl never reads this; other clients may.
 */
export function openApiV2(reg: Registry): object {
  const definitions: Record<string, object> = {};
  const docPaths: Record<string, object> = {};
  for (const info of reg.resources()) {
    definitions[schemaName(info)] = objectSchema(info);
    if (info.virtual) continue;
    const { item } = paths(info);
    docPaths[item] = {
      patch: {
        consumes: ['application/json-patch+json', 'application/merge-patch+json'],
        produces: ['application/json'],
        parameters: [
          {
            name: 'fieldValidation',
            in: 'query',
            type: 'string',
            uniqueItems: true,
            description: FIELD_VALIDATION_DESCRIPTION,
          },
        ],
        responses: { '200': { description: 'OK', schema: { $ref: `#/definitions/${schemaName(info)}` } } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvkExtension(info),
      },
    };
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: docPaths,
    definitions,
  };
}

/** Discovery and OpenAPI documents of the API shim, generated from the registry. */
export { apiVersions, apiGroupList, apiResourceList, versionInfo, storageVersionHash } from './legacy.js';
export { aggregatedDiscovery, AGGREGATED_DISCOVERY_CONTENT_TYPE } from './aggregated.js';
export { openApiV2, openApiV3Paths, openApiV3Schema } from './openapi.js';
export { compareKubeVersions } from './groups.js';

/** faultline/proxy: the Toxiproxy-compatible fault proxy, usable from code. */
export { createProxyServer, type ProxyServer, type ProxyServerOptions } from './api.js';
export { ProxyRegistry, DEFAULT_TOXIC_TTL_MS, isGuardRefusal, type RegistryOptions } from './registry.js';
export { Proxy } from './proxy.js';
export { ProxyApiClient, DEFAULT_API } from './client.js';
export { registerToxic, findToxicDefinition, findToxicDefinitionOrThrow, toxicTypes } from './toxics/index.js';
export { validateAttributes, type AttributeSpec } from './attributes.js';
export { renderMetrics } from './metrics.js';
export type {
  Chunk,
  HttpAction,
  HttpToxicDefinition,
  ProxyJson,
  ProxyPatch,
  ProxySpec,
  StreamDirection,
  StreamToxicDefinition,
  ToxicContext,
  ToxicDefinition,
  ToxicHandler,
  ToxicJson,
  ToxicPatch,
  ToxicSpec,
} from './types.js';

/**
 * Every bound Lua PDK function in one table: the union of the namespace
 * tables. Used by tools and tests; the bindings use their own namespace table.
 *
 * @module
 */
import { clientMethods } from './client.ts';
import { clientTlsMethods } from './client/tls.ts';
import { clusterMethods } from './cluster.ts';
import { ctxSharedMethods } from './ctx/shared.ts';
import { ipMethods } from './ip.ts';
import { logMethods } from './log.ts';
import { nginxMethods } from './nginx.ts';
import { nodeMethods } from './node.ts';
import { pluginMethods } from './plugin.ts';
import { requestMethods } from './request.ts';
import { responseMethods } from './response.ts';
import { routerMethods } from './router.ts';
import { serviceMethods } from './service.ts';
import { serviceRequestMethods } from './service/request.ts';
import { serviceResponseMethods } from './service/response.ts';
import type { MethodTable } from './signature.ts';
import { telemetryMethods } from './telemetry.ts';
import { vaultMethods } from './vault.ts';

/** The method tables per Kong namespace, keyed by the namespace's Lua path. */
export const pdkNamespaces = {
  'kong.client': clientMethods,
  'kong.client.tls': clientTlsMethods,
  'kong.cluster': clusterMethods,
  'kong.ctx.shared': ctxSharedMethods,
  'kong.ip': ipMethods,
  'kong.log': logMethods,
  'kong.nginx': nginxMethods,
  'kong.node': nodeMethods,
  'kong.plugin': pluginMethods,
  'kong.request': requestMethods,
  'kong.response': responseMethods,
  'kong.router': routerMethods,
  'kong.service': serviceMethods,
  'kong.service.request': serviceRequestMethods,
  'kong.service.response': serviceResponseMethods,
  'kong.telemetry': telemetryMethods,
  'kong.vault': vaultMethods,
} as const satisfies Record<string, MethodTable>;

/** All bound Lua PDK functions, keyed by their exact Lua name. */
export const pdkMethods = {
  ...clientMethods,
  ...clientTlsMethods,
  ...clusterMethods,
  ...ctxSharedMethods,
  ...ipMethods,
  ...logMethods,
  ...nginxMethods,
  ...nodeMethods,
  ...pluginMethods,
  ...requestMethods,
  ...responseMethods,
  ...routerMethods,
  ...serviceMethods,
  ...serviceRequestMethods,
  ...serviceResponseMethods,
  ...telemetryMethods,
  ...vaultMethods,
} as const satisfies MethodTable;

/** The exact Lua name of a bound PDK function. */
export type PdkMethodName = keyof typeof pdkMethods;

/**
 * Typed bindings for Kong's Lua PDK over MsgPack:1.
 *
 * @module
 */
export type { Bridge } from './bridge.ts';
export { ErrorCodes, PdkError, type ErrorCode } from './errors.ts';
export { Kong } from './kong.ts';
export { pdkMethods, pdkNamespaces, type PdkMethodName } from './methods.ts';
export { ask, exitSig, sig, type ArgsOf, type MethodTable, type ResultOf, type Signature } from './signature.ts';
export { cleanArgs } from './args.ts';
export { ifAvailable } from './if-available.ts';

export { Client } from './client.ts';
export { ClientTls, type ClientVerify } from './client/tls.ts';
export { Cluster } from './cluster.ts';
export { Ctx } from './ctx.ts';
export { CtxShared, type SharedValue } from './ctx/shared.ts';
export { Ip } from './ip.ts';
export { Log, printable, type DeprecationInfo, type LogArg, type SerializeValue, type SerializeValueMode, type SerializeValueOptions } from './log.ts';
export { Nginx, type CtxValue } from './nginx.ts';
export { Node, type MemoryStatsIn, type MemoryUnit } from './node.ts';
export { Plugin } from './plugin.ts';
export { Request, type BodyMimeType, type DecodedBody } from './request.ts';
export { Response, type ErrorMessage, type ResponseBody, type ResponseSource } from './response.ts';
export { Router } from './router.ts';
export { Service } from './service.ts';
export { ServiceRequest, type BodyArgs, type UpstreamMethod } from './service/request.ts';
export { ServiceResponse } from './service/response.ts';
export { Telemetry, type TelemetryAttributes, type TelemetryPluginConfig } from './telemetry.ts';
export { Vault, type VaultOptions, type VaultWarmupInput } from './vault.ts';

export type { HeaderMap, HeaderValue, JsonObject, JsonValue, MultiMap, QueryArgs } from './values.ts';
export type {
  AuthenticatedEntity,
  BalancerTry,
  Consumer,
  Credential,
  ForeignKey,
  MemoryStats,
  NginxStatistics,
  Protocol,
  Route,
  RouteEndpoint,
  SerializedLog,
  SerializedStreamLog,
  SerializedTls,
  Service as ServiceEntity,
  SharedDictStats,
  UriCaptures,
  VaultReference,
  WorkerLuaVmStats,
} from './entities.ts';

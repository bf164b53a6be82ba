/**
 * Typed bindings for Kong's Lua PDK over MsgPack:1.
 *
 * @module
 */
export type { Bridge } from './bridge.ts';
export { ErrorCodes, PdkError, type ErrorCode } from './errors.ts';
export { Kong } from './kong.ts';
export { pdkMethods, type PdkMethodName } from './methods.ts';
export { ask, exitSig, sig, type ArgsOf, type MethodTable, type ResultOf, type Signature } from './signature.ts';

export { Ctx } from './ctx.ts';
export { CtxShared, type SharedValue } from './ctx/shared.ts';
export { Log, type LogArg } from './log.ts';
export { Request } from './request.ts';
export { Response, type HeaderMap, type JsonValue, type ResponseBody } from './response.ts';

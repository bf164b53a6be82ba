/**
 * `kong.client.*` and `kong.client.tls.*` on the fake Kong: the connected
 * client, the consumer it authenticated as, its TLS session.
 *
 * @module
 */
import { allowIn, luaType, stringArg, type Handler } from '../call.ts';
import { LuaError } from '../errors.ts';
import { firstValue } from '../headers.ts';

const AUTH_READERS = ['access', 'response', 'log'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `kong.client` functions. */
export const clientHandlers: Readonly<Record<string, Handler>> = {
  'kong.client.get_ip': (call) => call.state.clientIp,
  'kong.client.get_forwarded_ip': (call) => {
    const { state } = call;
    if (!state.isTrusted(state.clientIp)) return state.clientIp;
    const forwarded = firstValue(state.headers, 'x-forwarded-for')?.split(',')[0]?.trim();
    return forwarded === undefined || forwarded === '' ? state.clientIp : forwarded;
  },
  'kong.client.get_port': (call) => call.state.clientPort,
  'kong.client.get_forwarded_port': (call) => {
    const { state } = call;
    const port = state.isTrusted(state.clientIp) ? Number(firstValue(state.headers, 'x-forwarded-port')) : NaN;
    return Number.isInteger(port) && port > 0 ? port : state.clientPort;
  },
  'kong.client.get_credential': (call) => (allowIn(call, AUTH_READERS), call.state.credential),
  'kong.client.get_consumer': (call) => (allowIn(call, AUTH_READERS), call.state.consumer),
  'kong.client.load_consumer': (call, args) => {
    allowIn(call, ['access', 'response', 'log']);
    const id = args[0];
    if (typeof id !== 'string') throw new LuaError(`${call.method}: consumer_id must be a string`);
    const byUsername = args[1] === true;
    const isUuid = UUID.test(id);
    if (!isUuid && !byUsername) throw new LuaError(`${call.method}: cannot load a consumer with an id that is not a uuid`);
    const consumers = call.state.world.consumers ?? [];
    return (isUuid ? consumers.find((c) => c.id === id) : undefined) ?? (byUsername ? consumers.find((c) => c.username === id) : undefined);
  },
  'kong.client.authenticate': (call, args) => {
    allowIn(call, ['access']);
    const [consumer, credential] = args;
    if (consumer == null && credential == null) throw new LuaError(`${call.method}: either credential or consumer must be provided`);
    if (consumer != null && luaType(consumer) !== 'table') throw new LuaError(`${call.method}: consumer must be a table or nil`);
    if (credential != null && luaType(credential) !== 'table') throw new LuaError(`${call.method}: credential must be a table or nil`);
    call.state.ngxCtx.set('authenticated_consumer', consumer ?? undefined);
    call.state.ngxCtx.set('authenticated_credential', credential ?? undefined);
  },
  'kong.client.get_protocol': (call, args) => {
    allowIn(call, AUTH_READERS);
    const { state } = call;
    if (state.world.subsystem === 'stream') return state.world.tls === undefined ? 'tcp' : 'tls';
    const grpc = (firstValue(state.headers, 'content-type') ?? '').startsWith('application/grpc');
    const trusted = args[0] === true && state.isTrusted(state.clientIp);
    const forwarded = trusted ? firstValue(state.headers, 'x-forwarded-proto')?.toLowerCase() : undefined;
    const scheme = forwarded ?? state.scheme;
    return grpc ? (scheme === 'https' ? 'grpcs' : 'grpc') : scheme;
  },
};

/** The `kong.client.tls` functions. */
export const clientTlsHandlers: Readonly<Record<string, Handler>> = {
  'kong.client.tls.request_client_certificate': (call) => (allowIn(call, ['certificate']), true),
  'kong.client.tls.disable_session_reuse': (call) => (allowIn(call, ['certificate']), true),
  'kong.client.tls.get_full_client_certificate_chain': (call) => (allowIn(call, ['rewrite', 'access', 'response', 'log']), call.state.world.tls?.clientCertificate),
  'kong.client.tls.set_client_verify': (call, args) => {
    allowIn(call, ['rewrite', 'access']);
    const verify = stringArg(call, args, 0, 'v');
    if (verify !== 'SUCCESS' && verify !== 'NONE' && !verify.startsWith('FAILED:')) {
      throw new LuaError(`${call.method}: unknown client verify value: ${verify} accepted values are: "SUCCESS", "NONE" or "FAILED:<reason>"`);
    }
    call.state.clientVerify = verify;
  },
};

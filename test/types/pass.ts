/**
 * Strict-mode type test, compiled with the project: correct calls compile and
 * their results have exactly the documented types. Never run.
 *
 * @module
 */
import type {
  Consumer,
  Credential,
  DecodedBody,
  Kong,
  MemoryStats,
  MultiMap,
  Protocol,
  Route,
  SerializedLog,
  ServiceEntity,
  UriCaptures,
  VaultReference,
} from '../../pdk/index.ts';

/** `true` when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
function expect<T extends true>(): T | undefined {
  return undefined;
}
/** The resolved type of a PDK call. */
type Result<P> = Awaited<P>;

export async function correctCalls(kong: Kong): Promise<void> {
  expect<Equal<Result<ReturnType<typeof kong.request.getHeader>>, string | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.request.getHeaders>>, MultiMap>>();
  expect<Equal<Result<ReturnType<typeof kong.request.getRawBody>>, Uint8Array | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.request.getBody>>, DecodedBody | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.request.getUriCaptures>>, UriCaptures>>();
  expect<Equal<Result<ReturnType<typeof kong.client.getConsumer>>, Consumer | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.client.getCredential>>, Credential | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.client.getProtocol>>, Protocol | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.router.getRoute>>, Route | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.router.getService>>, ServiceEntity | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.response.exit>>, never>>();
  expect<Equal<Result<ReturnType<typeof kong.response.error>>, never>>();
  expect<Equal<Result<ReturnType<typeof kong.vault.parseReference>>, VaultReference | undefined>>();
  expect<Equal<Result<ReturnType<typeof kong.service.response.getRawBody>>, Uint8Array | undefined>>();

  // Optional arguments are optional.
  await kong.request.getRawBody();
  await kong.request.getRawBody(0);
  await kong.request.getBody();
  await kong.request.getBody('application/json');
  await kong.request.getBody(undefined, 10, 1024);
  await kong.request.getQuery();
  await kong.request.getQuery(50);
  await kong.request.getQueryArg('page');
  await kong.response.getHeaders();
  await kong.service.response.getBody();
  await kong.client.getProtocol();
  await kong.client.loadConsumer('alice', true);

  // Memory statistics follow the unit.
  const bytes: MemoryStats<number> = await kong.node.getMemoryStats();
  const text: MemoryStats<string> = await kong.node.getMemoryStats('m', 1);
  void bytes;
  void text;

  // Header values: text, numbers, booleans or lists of strings.
  await kong.response.setHeader('X-Count', 3);
  await kong.response.addHeader('Cache-Control', ['no-cache', 'no-store']);
  await kong.service.request.setHeaders({ 'X-A': 'a', 'X-B': ['1', '2'], 'X-C': true });
  await kong.service.request.setQuery({ page: '2', debug: true, tag: ['a', 'b'] });
  await kong.service.request.setRawBody(new Uint8Array([1, 2, 3]));
  await kong.service.request.setBody({ name: 'x', list: [1, 2] }, 'application/json');
  await kong.service.request.setMethod('PATCH');

  // Log: any printable value; serialize is a typed object.
  await kong.log.err('failed', new Error('x'), { id: 1 }, 42);
  await kong.log.deprecation('old option', { after: '1.0.0', removal: '2.0.0' });
  await kong.log.setSerializeValue('request.tenant', 'acme', { mode: 'add' });
  const entry: SerializedLog = await kong.log.serialize();
  const status: number = entry.response.status;
  void status;

  // Shared context, nginx context.
  await kong.ctx.shared.set('user', { id: 'u1', roles: ['admin'] });
  const user = await kong.ctx.shared.get<{ id: string }>('user');
  void user?.id;
  await kong.nginx.setCtx('k', 1);

  // Telemetry and vault.
  await kong.telemetry.log('my-plugin', { __plugin_id: 'p' }, 'result', undefined, { ok: true });
  await kong.vault.update({ password: '', $refs: { password: '{vault://env/pw}' } });

  // Exits accept text, bytes or JSON-able bodies, and never return.
  if (status === 401) await kong.response.exit(401, { message: 'no' }, { 'WWW-Authenticate': 'Basic' });
  if (status === 403) await kong.response.exit(403, new Uint8Array([1]));
  if (status === 500) await kong.response.error(500, undefined, { 'Content-Type': 'application/json' });
}

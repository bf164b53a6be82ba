/**
 * key-auth: authenticates clients by an API key sent in a header or in the
 * query string, against the keys in its config, and tells Kong (and the
 * plugins after it) who the consumer is. No key, or a wrong one: 401.
 *
 * Works on every Kong from 2.3 on. `hide_credentials` removes a query key
 * with `kong.service.request.set_raw_query` and the query string without it,
 * which every release has (`clear_query_arg` exists only from Kong 3.9); the
 * other arguments keep their order and encoding.
 *
 *   node dist/examples/key-auth.js -dump
 *   node dist/examples/key-auth.js -kong-prefix /usr/local/kong
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Config, field, serve, type Kong } from 'tspdk';
import { metrics } from 'tspdk/metrics';

/** Its decisions, on the server's `/metrics` when it runs with `--metrics` (a no-op otherwise). */
const decisions = metrics.counter({
  name: 'key_auth_ts_requests_total',
  help: 'Requests key-auth-ts decided, by result',
  labelNames: ['result'],
});

/** Compares two keys in constant time (both are hashed first, so lengths do not leak). */
function sameKey(a: string, b: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The name of one `name=value` part of a query string, decoded as Kong decodes query names. */
function argumentName(part: string): string {
  const raw = part.split('=', 1)[0] ?? '';
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/** A raw query string without any argument called `name`; the others are kept byte for byte. */
export function withoutArgument(rawQuery: string, name: string): string {
  return rawQuery
    .split('&')
    .filter((part) => part !== '' && argumentName(part) !== name)
    .join('&');
}

export class KeyAuth extends Config({
  key_names: field.array(field.string({ match: '^[%w_%-]+$' }), {
    default: ['apikey'],
    len_min: 1,
    description: 'Header and query argument names that may carry the key.',
  }),
  key_in_header: field.boolean({ default: true, description: 'Look for the key in the request headers.' }),
  key_in_query: field.boolean({ default: true, description: 'Look for the key in the query string.' }),
  hide_credentials: field.boolean({ default: false, description: 'Remove the key before the request reaches the Service.' }),
  credentials: field.array(
    field.record({
      key: field.string({ required: true, len_min: 8, referenceable: true, encrypted: true, description: 'An API key (or a vault reference to one).' }),
      consumer: field.string({ required: true, description: 'The username (or id) of the consumer that owns the key.' }),
    }),
    { required: true, len_min: 1, description: 'The accepted keys and the consumer each one authenticates.' },
  ),
}) {
  async access(kong: Kong): Promise<void> {
    const found = await this.#findKey(kong);
    if (found === undefined) {
      decisions.inc({ result: 'no_key' });
      return kong.response.exit(401, { message: 'No API key found in request' }, { 'WWW-Authenticate': 'Key realm="kong"' });
    }
    const owner = this.credentials.find((credential) => sameKey(credential.key, found.key));
    if (owner === undefined) {
      decisions.inc({ result: 'invalid_key' });
      return kong.response.exit(401, { message: 'Invalid authentication credentials' }, { 'WWW-Authenticate': 'Key realm="kong"' });
    }
    const consumer = await kong.client.loadConsumer(owner.consumer, true);
    if (consumer === undefined) {
      decisions.inc({ result: 'unknown_consumer' });
      await kong.log.err(`key-auth: consumer ${owner.consumer} of a configured key does not exist`);
      return kong.response.error(500);
    }
    decisions.inc({ result: 'authenticated' });
    await kong.client.authenticate(consumer, { id: createHash('sha256').update(found.key).digest('hex').slice(0, 32), consumer_id: consumer.id });
    await kong.service.request.setHeaders({
      'X-Consumer-ID': consumer.id,
      'X-Consumer-Username': consumer.username ?? '',
    });
    if (this.hide_credentials) {
      if (found.where === 'header') await kong.service.request.clearHeader(found.name);
      else await kong.service.request.setRawQuery(withoutArgument(await kong.request.getRawQuery(), found.name));
    }
  }

  /** The first key found, header names before query arguments. */
  async #findKey(kong: Kong): Promise<{ key: string; name: string; where: 'header' | 'query' } | undefined> {
    for (const name of this.key_names) {
      const key = this.key_in_header ? await kong.request.getHeader(name) : undefined;
      if (key !== undefined && key !== '') return { key, name, where: 'header' };
    }
    if (!this.key_in_query) return undefined;
    const query = await kong.request.getQuery();
    for (const name of this.key_names) {
      const key = query[name]?.[0];
      if (key !== undefined && key !== '') return { key, name, where: 'query' };
    }
    return undefined;
  }
}

export default serve(KeyAuth, { name: 'key-auth-ts', version: '1.0.0', priority: 1250 });

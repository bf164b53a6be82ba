/**
 * The CPU-heavy bench plugin (issue 9): in access it reads the request's
 * signature header and raw body through the PDK, computes HMAC-SHA256 of the
 * body with the configured secret `iterations` times (the same MAC each
 * time: the repetition only sets the CPU cost of an event, about 3 µs per
 * iteration for a 1 KB body on the bench machine), compares the hex digest
 * with the header in constant time and sets `x-hmac-verdict: valid` on the
 * response, or answers 401 when the signature does not match. The kong-pdk
 * twin is `hmac.js` in `bench/kong-pdk-plugins.ts`.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Config, field, serve, type Kong } from 'tspdk';

export class Hmac extends Config({
  secret: field.string({ default: 'bench-secret', description: 'HMAC-SHA256 key' }),
  iterations: field.integer({ default: 1, between: [1, 100_000], description: 'times the MAC is computed per event' }),
  header: field.string({ default: 'x-signature', description: 'request header holding the hex HMAC-SHA256 of the body' }),
}) {
  async access(kong: Kong): Promise<void> {
    const signature = await kong.request.getHeader(this.header);
    const body = (await kong.request.getRawBody()) ?? new Uint8Array(0);
    let mac = Buffer.alloc(0);
    for (let i = 0; i < this.iterations; i++) mac = createHmac('sha256', this.secret).update(body).digest();
    const given = Buffer.from(signature ?? '', 'hex');
    if (given.length !== mac.length || !timingSafeEqual(given, mac)) {
      await kong.response.exit(401, { message: 'bad signature' });
    }
    await kong.response.setHeader('x-hmac-verdict', 'valid');
  }
}

export default serve(Hmac, { name: 'hmac', version: '0.1.0', priority: 1 });

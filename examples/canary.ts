/**
 * canary: sends a share of the traffic to a canary release, chosen per
 * request by a header (`X-Canary: always` / `never`) or else by a stable
 * hash of the consumer (or client IP) against `percentage`, so one client
 * keeps landing on the same side. The canary is an Upstream entity
 * (`kong.service.set_upstream`) or a host and port (`kong.service.set_target`).
 *
 * A missing Upstream sends the request to the stable release, with an error
 * in Kong's log, on every Kong: Kong 3.x answers `set_upstream` with nil,
 * Kong 2.x reports the error, which rejects with `PDK_CALL_FAILED` and is
 * caught here.
 *
 *   node dist/examples/canary.js -dump
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Config, ErrorCodes, field, PdkError, serve, type Kong } from 'tspdk';

/** A number from 0 to 99, stable for a given text. */
function bucket(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) % 100;
}

/** Kong 2.x reports a missing Upstream as a failed call: the same as 3.x's nil. */
function notFound(error: unknown): false {
  if (error instanceof PdkError && error.code === ErrorCodes.PdkCallFailed) return false;
  throw error;
}

export class Canary extends Config({
  upstream: field.string({ description: 'The Upstream entity serving the canary (takes precedence over target).' }),
  target: field.record({
    host: field.string({ required: true, description: 'Host name or IP address of the canary.' }),
    port: field.integer({ default: 80, between: [1, 65535], description: 'Port of the canary.' }),
  }),
  percentage: field.integer({ default: 0, between: [0, 100], description: 'Share of clients sent to the canary, in percent.' }),
  header: field.string({ default: 'X-Canary', description: 'Header that forces a side: "always" or "never".' }),
}) {
  async access(kong: Kong): Promise<void> {
    if (!(await this.#chooses(kong))) return;
    if (this.upstream !== undefined) {
      const found = await kong.service.setUpstream(this.upstream).catch(notFound);
      if (!found) {
        await kong.log.err(`canary: no Upstream named ${this.upstream}; request goes to the stable release`);
        return;
      }
    } else if (this.target !== undefined) {
      await kong.service.setTarget(this.target.host, this.target.port);
    } else {
      await kong.log.warn('canary: configure an upstream or a target');
      return;
    }
    await kong.service.request.setHeader('X-Canary-Release', 'true');
    await kong.response.setHeader('X-Canary-Release', 'true');
  }

  /** Whether this request goes to the canary. */
  async #chooses(kong: Kong): Promise<boolean> {
    const forced = (await kong.request.getHeader(this.header))?.toLowerCase();
    if (forced === 'always') return true;
    if (forced === 'never') return false;
    if (this.percentage === 0) return false;
    const consumer = await kong.client.getConsumer();
    const who = consumer?.id ?? (await kong.client.getForwardedIp()) ?? '';
    return bucket(who) < this.percentage;
  }
}

export default serve(Canary, { name: 'canary-ts', version: '1.0.0', priority: 20 });

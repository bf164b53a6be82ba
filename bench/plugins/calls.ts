/**
 * The bench plugin for everything hello does not cover: `calls` PDK calls in
 * access (pairs of get_header/set_header, like hello's), a raw body read, or
 * an exit. The kong-pdk twin is `calls.js` in `bench/kong-pdk-plugins.ts`.
 *
 * @module
 */
import { Config, field, serve, type Kong } from 'tspdk';

export class Calls extends Config({
  calls: field.integer({ default: 0, description: 'PDK calls per access (even)' }),
  mode: field.string({ default: 'calls', one_of: ['calls', 'body', 'exit'], description: 'what access does' }),
}) {
  async access(kong: Kong): Promise<void> {
    if (this.mode === 'body') {
      const body = await kong.request.getRawBody();
      if (body === undefined) throw new Error('no body');
      return;
    }
    if (this.mode === 'exit') {
      await kong.response.exit(403);
      return;
    }
    for (let i = 0; i < this.calls; i += 2) {
      const host = await kong.request.getHeader('host');
      await kong.response.setHeader('x-hello-from-typescript', `TypeScript says ${this.mode} to ${host ?? 'nobody'}`);
    }
  }
}

export default serve(Calls, { name: 'calls', version: '0.1.0', priority: 1 });

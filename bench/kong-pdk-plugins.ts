/**
 * The kong-pdk twins of the bench plugins (written for this bench, not taken
 * from Kong): CommonJS files that `kong-js-pluginserver --plugins-directory`
 * loads, written to a temporary directory so that they stay out of the
 * TypeScript project.
 *
 * @module
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `hello.js`: examples/hello.ts in kong-pdk's form (two PDK calls in access). */
const HELLO = `'use strict';
// kong-pdk twin of examples/hello.ts (written for this bench): two PDK calls in access.
class Hello {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const host = await kong.request.getHeader('host');
    await kong.response.setHeader('x-hello-from-typescript', \`TypeScript says \${this.config.message || 'hello'} to \${host || 'nobody'}\`);
  }
}

module.exports = {
  Plugin: Hello,
  Schema: [{ message: { type: 'string', default: 'hello' } }],
  Version: '0.1.0',
  Priority: 1,
};
`;

/** `calls.js`: bench/plugins/calls.ts in kong-pdk's form. */
const CALLS = `'use strict';
// kong-pdk twin of bench/plugins/calls.ts (written for this bench).
class Calls {
  constructor(config) {
    this.calls = config.calls || 0;
    this.mode = config.mode || 'calls';
  }

  async access(kong) {
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
      await kong.response.setHeader('x-hello-from-typescript', \`TypeScript says \${this.mode} to \${host || 'nobody'}\`);
    }
  }
}

module.exports = {
  Plugin: Calls,
  Schema: [{ calls: { type: 'integer', default: 0 } }, { mode: { type: 'string', default: 'calls' } }],
  Version: '0.1.0',
  Priority: 1,
};
`;

/** `hmac.js`: bench/plugins/hmac.ts in kong-pdk's form (the same PDK calls and the same MAC work). */
const HMAC = `'use strict';
// kong-pdk twin of bench/plugins/hmac.ts (written for this bench).
const { createHmac, timingSafeEqual } = require('node:crypto');

class Hmac {
  constructor(config) {
    this.secret = config.secret || 'bench-secret';
    this.iterations = config.iterations || 1;
    this.header = config.header || 'x-signature';
  }

  async access(kong) {
    const signature = await kong.request.getHeader(this.header);
    const body = (await kong.request.getRawBody()) || new Uint8Array(0);
    let mac = Buffer.alloc(0);
    for (let i = 0; i < this.iterations; i++) mac = createHmac('sha256', this.secret).update(body).digest();
    const given = Buffer.from(signature || '', 'hex');
    if (given.length !== mac.length || !timingSafeEqual(given, mac)) {
      await kong.response.exit(401, { message: 'bad signature' });
      return;
    }
    await kong.response.setHeader('x-hmac-verdict', 'valid');
  }
}

module.exports = {
  Plugin: Hmac,
  Schema: [
    { secret: { type: 'string', default: 'bench-secret' } },
    { iterations: { type: 'integer', default: 1 } },
    { header: { type: 'string', default: 'x-signature' } },
  ],
  Version: '0.1.0',
  Priority: 1,
};
`;

let written: string | undefined;

/** The plugins directory to pass to kong-pdk (created once per bench process). */
export function kongPdkPluginsDir(): string {
  if (written !== undefined) return written;
  const dir = mkdtempSync(join(tmpdir(), 'bench-kong-pdk-plugins-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dir, 'hello.js'), HELLO);
  writeFileSync(join(dir, 'calls.js'), CALLS);
  writeFileSync(join(dir, 'hmac.js'), HMAC);
  written = dir;
  return dir;
}

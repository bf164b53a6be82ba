/**
 * Reliability: secrets in the server's own log (issue 7). At the default
 * level no header, body or config value is logged at all; at debug level
 * every RPC is logged (method, msgid, ids, sizes, header maps and PDK
 * arguments) with `authorization`, `cookie`, `proxy-authorization`,
 * `set-cookie`, bodies and the plugin's `encrypted`/`referenceable` config
 * fields redacted, wherever their values travel.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../server/process/logger.ts';
import { REDACTED, redactConfig, redactProblems, secretTree } from '../../server/rpc/redact.ts';
import { startTestServer, TEST_WORKERS, type TestServer } from '../support/server.ts';
import rely from './fixtures/rely.ts';

const SECRETS = ['SECRET-AUTH', 'SECRET-COOKIE', 'SECRET-PROXY', 'SECRET-TOKEN', 'SECRET-PASSWORD', 'SECRET-BODY', 'SECRET-SETCOOKIE'];
const CONFIG = { mode: 'secrets', tag: 'visible-tag', token: 'tok-SECRET-TOKEN', nested: { password: 'pw-SECRET-PASSWORD', label: 'visible-label' } };
const REQUEST = {
  headers: {
    authorization: 'Basic SECRET-AUTH',
    Cookie: 'sid=SECRET-COOKIE',
    'proxy-authorization': 'Bearer SECRET-PROXY',
    'set-cookie': 'a=SECRET-SETCOOKIE',
    'x-public': 'public-header-value',
  },
  body: 'the SECRET-BODY of the request',
};

describe('secrets in logs', () => {
  let server: TestServer;
  let output = '';
  const logger = createLogger(
    'info',
    {},
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    }),
  );
  before(async () => {
    server = await startTestServer([rely], { logger });
  });
  after(async () => server.close());

  const run = async (key: string) => {
    output = '';
    const response = await server.host().request([{ name: 'rely', config: CONFIG, phases: ['access'], key }], REQUEST);
    assert.deepEqual(response.headers.get('x-echo-tag'), ['visible-tag']);
    assert.deepEqual(response.request.serviceHeaders.get('authorization'), ['Bearer tok-SECRET-TOKEN']);
    return output;
  };

  it('logs no header, body or config value at the default level', async () => {
    logger.level = 'info';
    const log = await run('info');
    assert.match(log, /"msg":"instance started"/);
    for (const value of [...SECRETS, 'public-header-value', 'visible-tag', 'visible-label']) assert.ok(!log.includes(value), `${value} is in the info log`);
    assert.doesNotMatch(log, /"msg":"rpc"/);
  });

  it('logs every RPC at debug level with secrets redacted', async () => {
    logger.level = 'debug';
    const log = await run('debug');
    logger.level = 'info';
    const lines = log.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const rpc = lines.filter((line) => line['msg'] === 'rpc');
    assert.ok(rpc.length >= 16, `${rpc.length} rpc lines`);
    for (const line of rpc) {
      assert.equal(typeof line['method'], 'string');
      assert.equal(typeof line['msgid'], 'number');
    }
    const methods = new Set(rpc.map((line) => line['method']));
    for (const method of ['plugin.StartInstance', 'plugin.HandleEvent', 'plugin.Step', 'plugin.StepMultiMap']) assert.ok(methods.has(method), method);
    // What may be shown at debug is shown...
    for (const value of ['public-header-value', 'visible-tag', 'visible-label', 'kong.request.get_header', 'x-echo-tag']) {
      assert.ok(log.includes(value), `${value} should be in the debug log`);
    }
    assert.ok(log.includes(REDACTED));
    // ...and no secret, wherever it travelled: config, header maps, get_header results, set_header arguments, bodies.
    for (const secret of SECRETS) assert.ok(!log.includes(secret), `${secret} is in the debug log`);
    const start = rpc.find((line) => line['method'] === 'plugin.StartInstance' && line['rpc'] === 'request');
    assert.deepEqual((start?.['config'] as Record<string, unknown>)['token'], REDACTED);
    assert.deepEqual((start?.['config'] as Record<string, unknown>)['nested'], { password: REDACTED, label: 'visible-label' });
    const headers = rpc.find((line) => line['method'] === 'plugin.StepMultiMap')?.['data'] as Record<string, unknown>;
    assert.equal(headers['authorization'], REDACTED);
    assert.equal(headers['cookie'], REDACTED);
    assert.deepEqual(headers['x-public'], ['public-header-value']);
  });

  it('logs an invalid config once per instance (per worker copy), without a stack, however many requests fail on it', async () => {
    logger.level = 'info';
    output = '';
    const host = server.host({ workers: 1 }); // one Kong worker: one instance
    const entity = { name: 'rely', config: { mode: 42 }, phases: ['access'], key: 'invalid-config' };
    for (let i = 0; i < 5; i++) assert.equal((await host.request([entity])).status, 500);
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const invalid = lines.filter((line) => /invalid plugin config/.test(String(line['msg'])));
    assert.ok(invalid.length >= 1 && invalid.length <= TEST_WORKERS, `${invalid.length} lines: ${output}`);
    assert.deepEqual(invalid[0]?.['problems'], ['config.mode: expected a string']);
    assert.ok(!output.includes('"stack"'), output);
    assert.deepEqual(lines.filter((line) => line['msg'] === 'plugin phase failed'), []);
  });

  it('finds secret fields by schema and redacts config problems that quote values', () => {
    const tree = secretTree(rely.configSchema.fields);
    assert.deepEqual([...tree.keys()].sort(), ['nested', 'token']);
    assert.deepEqual(redactConfig({ token: 't', nested: [{ password: 'p', label: 'l' }], tag: 'x' }, tree), {
      token: REDACTED,
      nested: [{ password: REDACTED, label: 'l' }],
      tag: 'x',
    });
    assert.deepEqual(redactProblems(['config.key: invalid value: hunter2', 'config.mode: expected a string']), [
      'config.key: invalid value',
      'config.mode: expected a string',
    ]);
  });
});

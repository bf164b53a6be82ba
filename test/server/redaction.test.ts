/**
 * Secrets stay out of failure messages and stacks (issue 16, item 5): the
 * values of the plugin's secret config fields and the credentials the event
 * read (headers such as `authorization` and `apikey`, query arguments of the
 * same names, the credential entity) are replaced by `[REDACTED]` in what
 * goes to `kong.log.err` and to the server's log; at debug level every
 * credential header is redacted, and `redactHeaders` adds names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kong } from '../../pdk/kong.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { Config, field } from '../../plugin/index.ts';
import { credentialPieces, redactText } from '../../server/rpc/redact.ts';
import { ServerDriver } from './driver.ts';

class Leaky extends Config({
  mode: field.string({ default: 'config' }),
  api_token: field.string({ encrypted: true, default: 'tok-SECRET-9f8e7d' }),
  short: field.string({ referenceable: true, default: 'xk2' }),
}) {
  async access(kong: Kong): Promise<void> {
    switch (this.mode) {
      case 'config':
        throw new Error(`bad auth ${this.api_token} (short: ${this.short}; xk2y stays)`);
      case 'header': {
        const authorization = await kong.request.getHeader('authorization');
        const key = await kong.request.getHeader('apikey');
        throw new Error(`rejected ${String(authorization)} / token ${String(authorization).split(' ')[1]} / key ${String(key)}`);
      }
      case 'headers': {
        const headers = await kong.request.getHeaders();
        throw new Error(`no match for ${JSON.stringify(headers)}`);
      }
      case 'basic': {
        const authorization = String(await kong.request.getHeader('authorization'));
        const [, password] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
        throw new Error(`wrong password ${String(password)}`);
      }
      case 'query':
        throw new Error(`unknown key ${String(await kong.request.getQueryArg('apikey'))}`);
      default:
        return;
    }
  }
}

const leaky = definePlugin(Leaky, { name: 'leaky', version: '1.0.0', priority: 1 });

/** Runs one access event, answering each PDK call from `answers`; returns the kong.log.err text. */
async function failure(driver: ServerDriver, mode: string, answers: Record<string, unknown> = {}): Promise<string> {
  const instance = driver.start('leaky', { mode });
  let msgid = driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: 'access' });
  for (let i = 0; i < 10; i++) {
    const call = await driver.answer(msgid);
    if (call.method === 'kong.log.err') return String(call.args[0]);
    const key = `${String(call.method)}:${String(call.args[0])}`;
    msgid = driver.send(call.method === 'kong.request.get_headers' ? 'plugin.StepMultiMap' : 'plugin.Step', { EventId: call.eventId, Data: answers[key] ?? answers[String(call.method)] });
  }
  throw new Error('the event never failed');
}

describe('secrets in failure messages', () => {
  it('redacts the values of secret config fields (a short one as a whole word only)', async () => {
    const driver = new ServerDriver([leaky]);
    try {
      const text = await failure(driver, 'config');
      assert.equal(text, '[tspdk] plugin leaky failed in access, request ends with 500: bad auth [REDACTED] (short: [REDACTED]; xk2y stays)');
      const logged = JSON.stringify(driver.log);
      assert.equal(logged.includes('SECRET-9f8e7d'), false, 'not in the server log, message or stack');
      assert.match(logged, /"stack":"Error: bad auth \[REDACTED\]/);
    } finally {
      driver.close();
    }
  });

  it('redacts the credentials the event read: authorization (and its token alone), apikey', async () => {
    const driver = new ServerDriver([leaky]);
    try {
      const text = await failure(driver, 'header', {
        'kong.request.get_header:authorization': 'Bearer eyJhbGciOi.payload.sig',
        'kong.request.get_header:apikey': 'client-key-4711',
      });
      assert.match(text, /rejected \[REDACTED\] \/ token \[REDACTED\] \/ key \[REDACTED\]$/);
      assert.equal(JSON.stringify(driver.log).includes('client-key-4711'), false);
    } finally {
      driver.close();
    }
  });

  it('redacts credential headers found in a header map, and headers added by name', async () => {
    const driver = new ServerDriver([leaky], { redactHeaders: ['x-partner-secret'] });
    try {
      const text = await failure(driver, 'headers', {
        'kong.request.get_headers': { 'X-API-Key': 'map-key-123456', 'x-partner-secret': ['partner-s3cret'], host: 'example.com' },
      });
      // Header values arrive as lists (the multi-map shape).
      assert.match(text, /"X-API-Key":\["\[REDACTED\]"\]/);
      assert.match(text, /"x-partner-secret":\["\[REDACTED\]"\]/);
      assert.match(text, /"host":\["example\.com"\]/);
    } finally {
      driver.close();
    }
  });

  it('redacts the password of Basic credentials and an apikey query argument', async () => {
    const driver = new ServerDriver([leaky]);
    try {
      const basic = await failure(driver, 'basic', { 'kong.request.get_header:authorization': `Basic ${Buffer.from('ada:pa55word!').toString('base64')}` });
      assert.match(basic, /wrong password \[REDACTED\]$/);
      const query = await failure(driver, 'query', { 'kong.request.get_query_arg:apikey': 'query-key-987654' });
      assert.match(query, /unknown key \[REDACTED\]$/);
    } finally {
      driver.close();
    }
  });

  it('keeps credential headers and added names out of the debug log', async () => {
    const driver = new ServerDriver([leaky], { redactHeaders: ['x-partner-secret'] }, 'debug');
    try {
      await failure(driver, 'headers', {
        'kong.request.get_headers': { apikey: 'debug-key-55555', 'x-partner-secret': 'debug-partner-66666', 'x-public': 'visible' },
      });
      const logged = JSON.stringify(driver.log);
      assert.equal(logged.includes('debug-key-55555'), false);
      assert.equal(logged.includes('debug-partner-66666'), false);
      assert.match(logged, /"x-public":"visible"/);
    } finally {
      driver.close();
    }
  });
});

describe('redactText', () => {
  it('replaces long secrets anywhere, short ones as whole words, longest first', () => {
    assert.equal(redactText('a abcdefg b abcdefgh c', ['abcdefg', 'abcdefgh']), 'a [REDACTED] b [REDACTED] c');
    assert.equal(redactText('pin 1234, pin12345', ['1234']), 'pin [REDACTED], pin12345');
    assert.equal(redactText('price $5.00 (a.b*)', ['a.b*', '$5.00']), 'price [REDACTED] ([REDACTED])');
  });

  it('splits credentials into what may appear alone', () => {
    assert.deepEqual(credentialPieces('Authorization', 'Bearer abc'), ['Bearer abc', 'abc']);
    assert.deepEqual(credentialPieces('cookie', 'a=1; sid=xyz'), ['a=1; sid=xyz', '1', 'xyz']);
    assert.deepEqual(credentialPieces('authorization', `Basic ${Buffer.from('u:p').toString('base64')}`).slice(2), ['u:p', 'p']);
  });
});

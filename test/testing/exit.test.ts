/**
 * `kong.response.exit` and `error` end the request as Kong does: later
 * phases are skipped but `log`, code after the call never runs, the client
 * gets the exit's status, body and headers (objects as JSON with Kong's
 * content type), `error` bodies are Kong's templates chosen by `Accept`;
 * a failing phase method answers 500 unless the plugin is fail-open.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Config, definePlugin, field, type Kong } from 'tspdk';
import { runPlugin, startPluginServer } from 'tspdk/testing';

const after: string[] = [];

class Exiter extends Config({
  phase: field.string({ one_of: ['rewrite', 'access', 'response'], default: 'access' }),
  kind: field.string({ one_of: ['object', 'text', 'bytes', 'none', 'error', 'error-message', 'error-ctype'], default: 'object' }),
}) {
  async rewrite(kong: Kong): Promise<void> {
    if (this.phase === 'rewrite') await this.#end(kong);
  }
  async access(kong: Kong): Promise<void> {
    await kong.response.setHeader('X-Set-Before', 'yes');
    if (this.phase === 'access') await this.#end(kong);
  }
  async response(kong: Kong): Promise<void> {
    if (this.phase === 'response') await this.#end(kong);
  }
  async log(kong: Kong): Promise<void> {
    await kong.log.info('log ran');
  }
  async #end(kong: Kong): Promise<void> {
    switch (this.kind) {
      case 'object':
        await kong.response.exit(403, { message: 'go away', n: 1 }, { 'X-Reason': 'test' });
        break;
      case 'text':
        await kong.response.exit(200, 'plain text', { 'Content-Type': 'text/plain' });
        break;
      case 'bytes':
        await kong.response.exit(200, Uint8Array.from([0, 255, 1]));
        break;
      case 'none':
        await kong.response.exit(204, undefined, { 'X-Empty': 'yes' });
        break;
      case 'error':
        await kong.response.error(401);
        break;
      case 'error-message':
        await kong.response.error(503, 'Try later');
        break;
      case 'error-ctype':
        await kong.response.error(400, 'Bad', { 'Content-Type': 'application/xml' });
        break;
    }
    after.push('code after exit ran');
  }
}

describe('exit semantics', () => {
  it('an exit in access skips the Service and response, runs log, and never returns', async () => {
    after.length = 0;
    const { response, phases, serviceRequest, logs } = await runPlugin(Exiter, { phase: 'access' });
    assert.deepEqual(phases, [
      { phase: 'rewrite', outcome: 'ret' },
      { phase: 'access', outcome: 'exit' },
      { phase: 'log', outcome: 'ret' },
    ]);
    assert.equal(serviceRequest, undefined);
    assert.deepEqual(after, []);
    assert.equal(response.status, 403);
    assert.equal(response.source, 'exit');
    assert.deepEqual(response.json(), { message: 'go away', n: 1 });
    assert.equal(response.header('Content-Type'), 'application/json; charset=utf-8');
    assert.equal(response.header('x-reason'), 'test');
    assert.equal(response.header('x-set-before'), 'yes', 'headers set before the exit are kept');
    assert.equal(response.header('content-length'), String(response.body.length));
    assert.deepEqual(logs.map((l) => l.message), ['log ran']);
  });

  it('an exit in rewrite skips access too', async () => {
    const { phases } = await runPlugin(Exiter, { phase: 'rewrite' });
    assert.deepEqual(phases.map((p) => `${p.phase}:${p.outcome}`), ['rewrite:exit', 'log:ret']);
  });

  it('an exit in response replaces the Service response', async () => {
    const { response, phases, serviceRequest } = await runPlugin(Exiter, { phase: 'response', kind: 'text' }, {}, { upstream: () => ({ status: 500, headers: { 'x-up': '1' }, body: 'boom' }) });
    assert.ok(serviceRequest !== undefined);
    assert.deepEqual(phases.map((p) => `${p.phase}:${p.outcome}`), ['rewrite:ret', 'access:ret', 'response:exit', 'log:ret']);
    assert.equal(response.status, 200);
    assert.equal(response.text, 'plain text');
    assert.equal(response.header('content-type'), 'text/plain');
    assert.equal(response.header('x-up'), '1');
  });

  it('string and byte bodies are sent as they are, without a content type; no body is empty', async () => {
    const bytes = await runPlugin(Exiter, { kind: 'bytes' });
    assert.deepEqual(bytes.response.body, Uint8Array.from([0, 255, 1]));
    assert.equal(bytes.response.header('content-type'), undefined);
    const none = await runPlugin(Exiter, { kind: 'none' });
    assert.equal(none.response.status, 204);
    assert.equal(none.response.body.length, 0);
    assert.equal(none.response.header('x-empty'), 'yes', 'headers without a body travel with the exit, after an empty body');
    assert.equal(none.response.header('content-length'), '0');
    assert.deepEqual(none.calls.slice(-2).map((c) => [c.method, c.args]), [
      ['kong.response.exit', [204, '', { 'X-Empty': 'yes' }]],
      ['kong.log.info', ['log ran']],
    ]);
  });

  it('error bodies are Kong\'s templates, chosen by Accept, with the default message per status', async () => {
    const json = await runPlugin(Exiter, { kind: 'error' });
    assert.equal(json.response.status, 401);
    assert.equal(json.response.source, 'error');
    assert.equal(json.response.header('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(json.response.json(), { message: 'Unauthorized', request_id: json.state.requestId });
    const html = await runPlugin(Exiter, { kind: 'error-message' }, { headers: { Accept: 'text/html;q=0.9, application/xml;q=0.5' } });
    assert.equal(html.response.header('content-type'), 'text/html; charset=utf-8');
    assert.match(html.response.text, /<p>Try later\.<\/p>/);
    const plain = await runPlugin(Exiter, { kind: 'error-message' }, { headers: { Accept: 'text/*' } });
    assert.equal(plain.response.text, `Try later\nrequest_id: ${plain.state.requestId}\n`);
    const xml = await runPlugin(Exiter, { kind: 'error-ctype' }, { headers: { Accept: 'text/html' } });
    assert.equal(xml.response.header('content-type'), 'application/xml');
    assert.match(xml.response.text, /<message>Bad<\/message>/);
  });

  it('a phase method that throws answers 500 with kong.log.err; a fail-open plugin lets the request go on', async () => {
    class Thrower {
      async access(kong: Kong): Promise<void> {
        await kong.request.getHeader('host');
        throw new Error('kaboom');
      }
    }
    const closed = await runPlugin(Thrower);
    assert.equal(closed.response.status, 500);
    assert.deepEqual(closed.response.json(), { message: 'An unexpected error occurred', request_id: closed.state.requestId });
    assert.deepEqual(closed.phases, [{ phase: 'access', outcome: 'failed' }]);
    assert.equal((closed.errors[0] as Error).message, 'kaboom');
    assert.deepEqual(closed.logs.map((l) => [l.level, l.message]), [['err', '[tspdk] plugin plugin-under-test failed in access, request ends with 500: kaboom']]);
    const open = await runPlugin(definePlugin(Thrower, { name: 'thrower', version: '1.0.0', priority: 1, failOpen: true }));
    assert.equal(open.response.status, 200);
    assert.equal(open.response.source, 'service');
  });

  it('a Lua error in a PDK call aborts the event: 500 in access, and nothing after it runs', async () => {
    after.length = 0;
    class Misuse {
      async access(kong: Kong): Promise<void> {
        await kong.response.exit(99);
        after.push('ran');
      }
    }
    const { response, phases, errors } = await runPlugin(Misuse);
    assert.equal(response.status, 500);
    assert.deepEqual(phases, [{ phase: 'access', outcome: 'aborted' }]);
    assert.match(String(errors[0]), /kong.response.exit: code must be a number between 100 and 599/);
    assert.deepEqual(after, []);
  });

  it('exit is refused in log (a Lua error there only ends the log event)', async () => {
    class LateExit {
      async access(): Promise<void> {}
      async log(kong: Kong): Promise<void> {
        await kong.response.exit(200);
      }
    }
    const { response, phases, errors } = await runPlugin(LateExit);
    assert.equal(response.status, 200);
    assert.deepEqual(phases.at(-1), { phase: 'log', outcome: 'aborted' });
    assert.match(String(errors[0]), /not available in the log phase/);
  });

  it('a phase that never finishes fails after timeoutMs', async () => {
    class Stuck {
      access(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const { response, errors } = await runPlugin(Stuck, {}, {}, { timeoutMs: 50 });
    assert.equal(response.status, 500);
    assert.match(String(errors[0]), /did not answer within 50 ms/);
  });

  describe('exit(status, undefined, headers) as Kong\'s own exit', () => {
    class Refuser {
      async access(kong: Kong): Promise<void> {
        await kong.response.exit(204, undefined, { 'Content-Length': '17', 'X-Reason': 'test' });
      }
      async preread(kong: Kong): Promise<void> {
        await kong.response.exit(403, undefined, { 'X-Reason': 'test' });
      }
    }
    const refuser = definePlugin(Refuser, { name: 'refuser', version: '1.0.0', priority: 1 });

    it("keeps the caller's Content-Length, as Kong's exit does with its headers", async () => {
      const { response, phases } = await runPlugin(Refuser);
      assert.deepEqual(phases.map((p) => `${p.phase}:${p.outcome}`), ['access:exit']);
      assert.equal(response.status, 204);
      assert.equal(response.header('content-length'), '17');
      assert.equal(response.header('x-reason'), 'test');
      assert.equal(response.body.length, 0);
    });

    it('ends a preread (stream) event with the status, where set_headers is not allowed and headers mean nothing', async () => {
      const { response, phases, errors, calls } = await runPlugin(Refuser, {}, {}, { subsystem: 'stream' });
      assert.deepEqual(errors, []);
      assert.deepEqual(phases.map((p) => `${p.phase}:${p.outcome}`), ['preread:exit']);
      assert.equal(response.status, 403);
      assert.deepEqual(calls.map((c) => [c.method, c.args]), [['kong.response.exit', [403]]]);
    });

    it('does the same over the wire, through the real plugin server', async () => {
      const server = await startPluginServer([refuser]);
      try {
        const http = await server.request(refuser);
        assert.equal(http.response.status, 204);
        assert.equal(http.response.header('content-length'), '17');
        assert.deepEqual(http.calls.map((c) => [c.method, c.args]), [['kong.response.exit', [204, '', { 'Content-Length': '17', 'X-Reason': 'test' }]]]);
        const stream = await server.request(refuser, {}, {}, { subsystem: 'stream' });
        assert.deepEqual(stream.phases.map((p) => `${p.phase}:${p.outcome}`), ['preread:exit']);
        assert.equal(stream.response.status, 403);
      } finally {
        await server.close();
      }
    });
  });
});

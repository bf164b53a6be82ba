/**
 * The kit runs phases in Kong's order: certificate (TLS only), rewrite,
 * access, the Service, response (only when the plugin has it), log after
 * the response; kong.ctx.shared and ngx.ctx carry across phases.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Config, field, type Kong } from 'tspdk';
import { runPlugin } from 'tspdk/testing';

/** What happened, in order, across the plugin and the Service. */
const timeline: string[] = [];

class Recorder extends Config({ tag: field.string({ default: 'r' }) }) {
  async #mark(kong: Kong, phase: string): Promise<void> {
    timeline.push(phase);
    const seen = ((await kong.ctx.shared.get<string[]>('seen')) ?? []).concat(phase);
    await kong.ctx.shared.set('seen', seen);
  }
  async certificate(kong: Kong): Promise<void> {
    await this.#mark(kong, 'certificate');
  }
  async rewrite(kong: Kong): Promise<void> {
    await this.#mark(kong, 'rewrite');
    await kong.nginx.setCtx('from_rewrite', this.tag);
  }
  async access(kong: Kong): Promise<void> {
    await this.#mark(kong, 'access');
    await kong.service.request.setHeader('x-ctx', String(await kong.nginx.getCtx('from_rewrite')));
  }
  async response(kong: Kong): Promise<void> {
    await this.#mark(kong, 'response');
    await kong.response.setHeader('x-status-seen', String(await kong.service.response.getStatus()));
  }
  async log(kong: Kong): Promise<void> {
    await this.#mark(kong, 'log');
    await kong.log.info('status ', await kong.response.getStatus());
  }
}

class NoResponse {
  async access(kong: Kong): Promise<void> {
    await kong.ctx.shared.set('access', true);
  }
  async log(kong: Kong): Promise<void> {
    await kong.log.notice('source ', await kong.response.getSource());
  }
}

class Stream {
  async preread(kong: Kong): Promise<void> {
    await kong.log.info(await kong.nginx.getSubsystem());
  }
  async log(kong: Kong): Promise<void> {
    await kong.log.info('logged');
  }
}

describe('phase order', () => {
  it('http: rewrite, access, the Service, response, log', async () => {
    timeline.length = 0;
    const result = await runPlugin(Recorder, { tag: 'T' }, {}, {
      upstream: (request) => {
        timeline.push('service');
        return { status: 202, headers: { 'x-ctx-echo': request.headers['x-ctx'] ?? [] } };
      },
    });
    assert.deepEqual(timeline, ['rewrite', 'access', 'service', 'response', 'log']);
    assert.deepEqual(result.phases.map((p) => p.phase), ['rewrite', 'access', 'response', 'log']);
    assert.deepEqual(result.shared['seen'], ['rewrite', 'access', 'response', 'log']);
    assert.equal(result.response.status, 202);
    assert.equal(result.response.header('x-ctx-echo'), 'T', 'ngx.ctx set in rewrite is read in access and reaches the Service');
    assert.equal(result.response.header('x-status-seen'), '202', 'response sees the buffered Service response');
    assert.deepEqual(result.logs.map((l) => [l.phase, l.level, l.message]), [['log', 'info', 'status 202']]);
    const phasesOfCalls = [...new Set(result.calls.map((call) => call.phase))];
    assert.deepEqual(phasesOfCalls, ['rewrite', 'access', 'response', 'log']);
  });

  it('https: certificate runs first', async () => {
    const result = await runPlugin(Recorder, {}, { scheme: 'https' });
    assert.deepEqual(result.phases.map((p) => p.phase), ['certificate', 'rewrite', 'access', 'response', 'log']);
  });

  it('a plugin without response is not buffered: no response phase, the Service answers the client directly', async () => {
    const result = await runPlugin(NoResponse, {}, {});
    assert.deepEqual(result.phases.map((p) => p.phase), ['access', 'log']);
    assert.equal(result.response.source, 'service');
    assert.deepEqual(result.logs.map((l) => l.message), ['source service']);
    assert.equal(result.shared['access'], true);
  });

  it('stream: preread then log', async () => {
    const result = await runPlugin(Stream, {}, {}, { subsystem: 'stream' });
    assert.deepEqual(result.phases.map((p) => p.phase), ['preread', 'log']);
    assert.deepEqual(result.logs.map((l) => l.message), ['stream', 'logged']);
  });

  it('the log phase runs after the response was decided, even after an exit', async () => {
    class ExitThenLog {
      async access(kong: Kong): Promise<void> {
        await kong.response.exit(418, 'teapot');
      }
      async log(kong: Kong): Promise<void> {
        await kong.log.info(String(await kong.response.getStatus()), ' ', await kong.response.getSource());
      }
    }
    const result = await runPlugin(ExitThenLog);
    assert.deepEqual(result.phases, [
      { phase: 'access', outcome: 'exit' },
      { phase: 'log', outcome: 'ret' },
    ]);
    assert.deepEqual(result.logs.map((l) => l.message), ['418 exit']);
  });
});

/**
 * ServerSettings: one name per setting, built from the command line or from
 * startServer's options (whose old names still work), checked on the way.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { definePlugin } from '../../plugin/definition.ts';
import { Config } from '../../schema/config.ts';
import { addServerOptions, settingsFromCommandLine, toServerSettings, type ServerCliOptions } from '../../server/process/options.ts';
import { createLogger, silentLogger } from '../../server/process/logger.ts';
import { Writable } from 'node:stream';
import { DEFAULT_SERVER_SETTINGS, serverSettings } from '../../server/settings.ts';
import { startServer } from '../../server/start.ts';
import { tempSockets } from '../support/server.ts';

/** What commander makes of `args` with the shared server options. */
function parse(args: readonly string[]): ServerCliOptions {
  const command = addServerOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => undefined }));
  command.parse(['node', 't', ...args]);
  return command.opts<ServerCliOptions>();
}

const plugin = definePlugin(class Plain extends Config({}) { access(): void {} }, { name: 'plain', version: '1.0.0', priority: 1 });

describe('server settings', () => {
  it('fill in the defaults, keep what is given, and cannot be changed afterwards', () => {
    assert.deepEqual(serverSettings(), DEFAULT_SERVER_SETTINGS);
    const settings = serverSettings({ eventTimeoutMs: 300, workers: 2, announcePid: false, socketMode: undefined });
    assert.deepEqual(settings, { ...DEFAULT_SERVER_SETTINGS, eventTimeoutMs: 300, workers: 2, announcePid: false });
    assert.ok(Object.isFrozen(settings));
    assert.throws(() => ((settings as { workers: number }).workers = 3), TypeError);
  });

  it('refuse a value a setting cannot take, naming the setting and what it takes', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ eventTimeoutMs: 0 }, /eventTimeoutMs must be a positive integer of milliseconds; got 0/],
      [{ maxMessageBytes: 1.5 }, /maxMessageBytes must be a positive integer of bytes; got 1.5/],
      [{ socketMode: 0o1000 }, /socketMode must be permission bits from 0 to 0o777/],
      [{ allowInsecureSocketDir: 'yes' }, /allowInsecureSocketDir must be true or false; got "yes"/],
      [{ announcePid: 1 }, /announcePid must be true or false; got 1/],
      [{ shutdownGraceMs: -1 }, /shutdownGraceMs must be an integer of milliseconds >= 0; got -1/],
      [{ watchParent: null }, /watchParent must be true or false; got null/],
      [{ workers: 65 }, /workers must be a number of workers from 1 to 64; got 65/],
      [{ logFormat: 'yaml' }, /logFormat must be json or pretty; got "yaml"/],
      [{ sharedStore: 'memcached://u:secret@h' }, /sharedStore must be local, or a redis:\/\/ or rediss:\/\/ URL; got another string$/],
      [{ blockTimeoutMs: -1 }, /blockTimeoutMs must be an integer of milliseconds >= 0/],
      [{ maxLiveEvents: 0 }, /maxLiveEvents must be a positive integer/],
      [{ maxNesting: 1.5 }, /maxNesting must be a positive integer/],
      [{ redactHeaders: ['Authorization'] }, /redactHeaders must be a list of lower-case header names/],
      [{ parentPid: 0 }, /parentPid must be a process id/],
      [{ metrics: ':9464' }, /metrics must be a port \(9464\), host:port \(0.0.0.0:9464\) or a Unix socket path; got ":9464"/],
      [{ metrics: 9464 }, /metrics must be a port/],
      [{ otlpEndpoint: 'grpc://collector:4317' }, /otlpEndpoint must be an http\(s\) URL/],
      [{ otlpProtocol: 'grpc' }, /otlpProtocol must be one of http\/protobuf, http\/json; got "grpc"/],
      [{ traceSampler: 'sometimes' }, /traceSampler must be one of parentbased_always_on, /],
      [{ traceSamplerArg: 1.5 }, /traceSamplerArg must be a ratio from 0 to 1; got 1.5/],
    ];
    for (const [given, message] of cases) assert.throws(() => serverSettings(given), message);
  });

  it('come from the command line, one flag each', () => {
    assert.deepEqual(settingsFromCommandLine(parse([]), {}), DEFAULT_SERVER_SETTINGS);
    const args = ['--event-timeout', '1000', '--max-message-size', '2048', '--socket-mode', '600', '--allow-insecure-socket-dir'];
    args.push('--no-watch-parent', '--shutdown-grace', '0', '--no-server-pid', '--workers', '3', '--log-format', 'pretty');
    args.push('--shared-store', 'rediss://u:p%40ss@redis.internal:6380/2?prefix=eu:');
    args.push('--block-timeout', '0', '--max-live-events', '10', '--max-map-entries', '20', '--max-array-entries', '30', '--max-nesting', '40');
    args.push('--redact-headers', 'X-Token, x-other', '--parent-pid', '77');
    args.push('--metrics', '0.0.0.0:9464');
    args.push('--otlp-endpoint', 'http://127.0.0.1:4318', '--otlp-protocol', 'http/json', '--trace-sampler', 'parentbased_traceidratio', '--trace-sampler-arg', '0.25');
    assert.deepEqual(settingsFromCommandLine(parse(args), {}), {
      eventTimeoutMs: 1000,
      maxMessageBytes: 2048,
      socketMode: 0o600,
      allowInsecureSocketDir: true,
      watchParent: false,
      shutdownGraceMs: 0,
      announcePid: false,
      workers: 3,
      logFormat: 'pretty',
      sharedStore: 'rediss://u:p%40ss@redis.internal:6380/2?prefix=eu:',
      blockTimeoutMs: 0,
      maxLiveEvents: 10,
      maxMapEntries: 20,
      maxArrayEntries: 30,
      maxNesting: 40,
      redactHeaders: ['x-token', 'x-other'],
      parentPid: 77,
      metrics: '0.0.0.0:9464',
      otlpEndpoint: 'http://127.0.0.1:4318/v1/traces',
      otlpProtocol: 'http/json',
      traceSampler: 'parentbased_traceidratio',
      traceSamplerArg: 0.25,
    });
    assert.throws(() => parse(['--redact-headers', 'x token']), /"x token" is not a header name/);
    assert.throws(() => parse(['--metrics', 'localhost']), /--metrics must be a port/);
    assert.throws(() => parse(['--trace-sampler-arg', '2']), /expected a ratio from 0 to 1/);
    assert.throws(() => parse(['--otlp-protocol', 'grpc']), /expected http\/protobuf or http\/json \(OTLP over gRPC is not supported/);
  });

  it('--shared-store takes local or a Redis URL, and its errors never show the password', () => {
    assert.equal(settingsFromCommandLine(parse(['--shared-store', 'local'])).sharedStore, 'local');
    const bad: Array<[string, RegExp]> = [
      ['redis://u:hunter2@host/not-a-db', /"redis:\/\/u:\*\*\*@host\/not-a-db": the path must be a database number/],
      ['redis://u:hunter2@host?ttl=5', /unknown parameter "ttl"/],
      ['http://u:hunter2@host', /the scheme must be redis:\/\/ or rediss:\/\//],
      ['redis://u:hunter2@host:99999', /is not a URL/],
    ];
    for (const [url, reason] of bad) {
      let written = '';
      const command = addServerOptions(new Command('t').exitOverride()).configureOutput({ writeErr: (text) => (written += text) });
      assert.throws(() => command.parse(['node', 't', '--shared-store', url]), /shared-store/);
      assert.match(written, reason);
      assert.ok(!written.includes('hunter2'), written);
    }
  });

  it('take tracing from the standard OTEL_* variables when no flag says otherwise', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
    const fromEnv = settingsFromCommandLine(parse([]), env);
    assert.equal(fromEnv.otlpEndpoint, 'http://collector:4318/v1/traces');
    assert.equal(fromEnv.traceSampler, 'traceidratio');
    assert.equal(fromEnv.traceSamplerArg, 0.1);
    const specific = { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/v1/traces' };
    assert.equal(settingsFromCommandLine(parse([]), specific).otlpEndpoint, 'https://traces.example/otlp/v1/traces');
    assert.equal(settingsFromCommandLine(parse(['--otlp-endpoint', 'http://flag:4318/v1/traces', '--trace-sampler', 'always_on']), env).otlpEndpoint, 'http://flag:4318/v1/traces');
    assert.equal(settingsFromCommandLine(parse([]), { ...env, OTEL_SDK_DISABLED: 'true' }).otlpEndpoint, undefined);
    assert.throws(() => settingsFromCommandLine(parse([]), { OTEL_TRACES_SAMPLER: 'jaeger_remote' }), /OTEL_TRACES_SAMPLER must be one of/);
    assert.throws(() => settingsFromCommandLine(parse([]), { OTEL_TRACES_SAMPLER_ARG: 'half' }), /OTEL_TRACES_SAMPLER_ARG: expected a ratio/);
  });

  it('take the OTLP protocol from --otlp-protocol, then OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL', () => {
    assert.equal(settingsFromCommandLine(parse([]), {}).otlpProtocol, 'http/protobuf');
    assert.equal(settingsFromCommandLine(parse([]), { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpProtocol, 'http/json');
    const both = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' };
    assert.equal(settingsFromCommandLine(parse([]), both).otlpProtocol, 'http/protobuf');
    assert.equal(settingsFromCommandLine(parse(['--otlp-protocol', 'http/json']), both).otlpProtocol, 'http/json');
    assert.throws(
      () => settingsFromCommandLine(parse([]), { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
      /^TypeError: OTEL_EXPORTER_OTLP_PROTOCOL: expected http\/protobuf or http\/json \(OTLP over gRPC is not supported.*; got "grpc"$/,
    );
    assert.throws(
      () => settingsFromCommandLine(parse([]), { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' }),
      /^TypeError: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: expected http\/protobuf or http\/json; got "http\/xml"$/,
    );
  });

  it('are taken in either form by serveOrExit: parsed options or settings', () => {
    assert.equal(toServerSettings(parse(['--event-timeout', '700'])).eventTimeoutMs, 700);
    assert.deepEqual(toServerSettings({ eventTimeoutMs: 700, workers: 2 }), { ...DEFAULT_SERVER_SETTINGS, eventTimeoutMs: 700, workers: 2 });
    assert.throws(() => toServerSettings({ ...parse([]), shutdownGrace: -5 }), /shutdownGraceMs must be/);
  });
});

describe('startServer settings', () => {
  const { socketIn, removeAll } = tempSockets();
  after(removeAll);

  it('take socketMode, and mode, its old name, as before', async () => {
    for (const [options, expected] of [[{ socketMode: 0o600 }, 0o600], [{ mode: 0o640 }, 0o640], [{ socketMode: 0o600, mode: 0o600 }, 0o600]] as const) {
      const socket = socketIn();
      const running = await startServer({ logger: silentLogger(), plugins: [plugin], sockets: [socket], ...options });
      assert.equal(lstatSync(socket).mode & 0o777, expected);
      await running.stop();
    }
  });

  it('say so when the socket mode opens the socket to users the umask closes files to (the mode is kept)', async () => {
    const socket = socketIn();
    let log = '';
    const logger = createLogger('info', {}, new Writable({ write: (chunk: Buffer, _encoding, done) => ((log += chunk.toString()), done()) }));
    const previous = process.umask(0o077);
    try {
      const running = await startServer({ logger, plugins: [plugin], sockets: [socket], socketMode: 0o660 });
      assert.equal(lstatSync(socket).mode & 0o777, 0o660);
      await running.stop();
    } finally {
      process.umask(previous);
    }
    assert.match(log, /"socketMode":"0660","umask":"0077".*pass --socket-mode 600 to keep to the umask/);
    log = '';
    process.umask(0o022);
    try {
      await (await startServer({ logger, plugins: [plugin], sockets: [socketIn()], socketMode: 0o660 })).stop();
    } finally {
      process.umask(previous);
    }
    assert.equal(log.includes('umask'), false, 'a umask that leaves the group some access is not contradicted');
  });

  it('refuse a setting given under both names with different values, and a bad value, before listening', async () => {
    const socket = socketIn();
    await assert.rejects(
      startServer({ logger: silentLogger(), plugins: [plugin], sockets: [socket], socketMode: 0o600, mode: 0o660 }),
      /both socketMode and mode \(its old name\) with different values; give socketMode only/,
    );
    await assert.rejects(
      startServer({ logger: silentLogger(), plugins: [plugin], sockets: [socket], allowInsecureSocketDir: true, allowInsecureDirectory: false }),
      /give allowInsecureSocketDir only/,
    );
    await assert.rejects(startServer({ logger: silentLogger(), plugins: [plugin], sockets: [socket], eventTimeoutMs: -1 }), /eventTimeoutMs must be/);
    assert.equal(existsSync(socket), false);
  });
});

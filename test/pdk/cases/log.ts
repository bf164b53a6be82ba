/** Binding cases for `kong.log`. */
import type { Case } from '../harness.ts';
import { step } from '../harness.ts';

const serialized = {
  request: { id: 'r', uri: '/', url: 'http://x/', querystring: {}, method: 'GET', headers: { host: 'x' }, size: 70 },
  upstream_uri: '/',
  upstream_status: '200',
  response: { status: 200, headers: {}, size: 100 },
  latencies: { kong: 1, proxy: 2, request: 3, receive: 0 },
  client_ip: '127.0.0.1',
  started_at: 1700000000000,
  source: 'upstream',
};

const levels = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const;

export const logCases: readonly Case[] = [
  ...levels.map(
    (level): Case => ({
      title: `${level}: arguments become text`,
      call: (k) => k.log[level]('n=', 1, { a: true }, null, undefined, new Uint8Array([104, 105])),
      steps: [step(`kong.log.${level}`, ['n=', '1', '{"a":true}', 'null', 'undefined', 'hi'])],
      result: undefined,
    }),
  ),
  {
    title: 'deprecation',
    call: (k) => k.log.deprecation('old thing', { after: '1.0.0', removal: '2.0.0' }),
    steps: [step('kong.log.deprecation', ['old thing', { after: '1.0.0', removal: '2.0.0' }])],
    result: undefined,
  },
  { title: 'deprecation without info', call: (k) => k.log.deprecation('old'), steps: [step('kong.log.deprecation', ['old'])], result: undefined },
  {
    title: 'serialize parses the JSON string',
    call: (k) => k.log.serialize(),
    steps: [step('kong.log.serialize', [], JSON.stringify(serialized))],
    result: serialized,
  },
  {
    title: 'setSerializeValue',
    call: (k) => k.log.setSerializeValue('my.field', { n: 1 }),
    steps: [step('kong.log.set_serialize_value', ['my.field', { n: 1 }])],
    result: undefined,
  },
  {
    title: 'setSerializeValue with mode',
    call: (k) => k.log.setSerializeValue('f', 'v', { mode: 'replace' }),
    steps: [step('kong.log.set_serialize_value', ['f', 'v', { mode: 'replace' }])],
    result: undefined,
  },
  {
    title: 'setSerializeValue(null, replace) sends only the key',
    call: (k) => k.log.setSerializeValue('f', null, { mode: 'replace' }),
    steps: [step('kong.log.set_serialize_value', ['f'])],
    result: undefined,
  },
];

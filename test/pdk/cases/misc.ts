/** Binding cases for `kong.cluster`, `kong.ip`, `kong.plugin`, `kong.router`, `kong.ctx.shared`, `kong.telemetry`. */
import type { Case } from '../harness.ts';
import { step } from '../harness.ts';

const route = {
  id: 'r1',
  created_at: 1,
  updated_at: 2,
  protocols: ['http', 'https'],
  paths: ['/v1'],
  https_redirect_status_code: 426,
  strip_path: true,
  preserve_host: false,
  request_buffering: true,
  response_buffering: true,
  service: { id: 's1' },
};
const service = {
  id: 's1',
  created_at: 1,
  updated_at: 2,
  retries: 5,
  protocol: 'http',
  host: 'example.com',
  port: 80,
  connect_timeout: 60000,
  write_timeout: 60000,
  read_timeout: 60000,
  enabled: true,
};
const conf = { message: 'hi', __plugin_id: 'p1' };

export const miscCases: readonly Case[] = [
  { title: 'cluster.getId', call: (k) => k.cluster.getId(), steps: [step('kong.cluster.get_id', [], 'c-1')], result: 'c-1' },
  { title: 'cluster.getId: DB-less', call: (k) => k.cluster.getId(), steps: [step('kong.cluster.get_id', [])], result: undefined },
  { title: 'ip.isTrusted', call: (k) => k.ip.isTrusted('1.1.1.1'), steps: [step('kong.ip.is_trusted', ['1.1.1.1'], true)], result: true },
  { title: 'ip.isTrusted: false', call: (k) => k.ip.isTrusted('::1'), steps: [step('kong.ip.is_trusted', ['::1'], false)], result: false },
  { title: 'plugin.getId', call: (k) => k.plugin.getId(), steps: [step('kong.plugin.get_id', [], 'p1')], result: 'p1' },
  { title: 'router.getRoute', call: (k) => k.router.getRoute(), steps: [step('kong.router.get_route', [], route)], result: route },
  { title: 'router.getRoute: none', call: (k) => k.router.getRoute(), steps: [step('kong.router.get_route', [])], result: undefined },
  { title: 'router.getService', call: (k) => k.router.getService(), steps: [step('kong.router.get_service', [], service)], result: service },
  { title: 'ctx.shared.get', call: (k) => k.ctx.shared.get('n'), steps: [step('kong.ctx.shared.get', ['n'], 42)], result: 42 },
  { title: 'ctx.shared.set', call: (k) => k.ctx.shared.set('n', { a: [1] }), steps: [step('kong.ctx.shared.set', ['n', { a: [1] }])], result: undefined },
  { title: 'ctx.shared.set: delete', call: (k) => k.ctx.shared.set('n', undefined), steps: [step('kong.ctx.shared.set', ['n', null])], result: undefined },
  {
    title: 'telemetry.log',
    call: (k) => k.telemetry.log('my-plugin', conf, 'result', 'done', { ok: true }),
    steps: [step('kong.telemetry.log', ['my-plugin', conf, 'result', 'done', { ok: true }], true)],
    result: true,
  },
  {
    title: 'telemetry.log: attributes without message send ""',
    call: (k) => k.telemetry.log('my-plugin', conf, 'result', undefined, { n: 1 }),
    steps: [step('kong.telemetry.log', ['my-plugin', conf, 'result', '', { n: 1 }], true)],
    result: true,
  },
  {
    title: 'telemetry.log: disabled is false',
    call: (k) => k.telemetry.log('my-plugin', conf, 'result'),
    steps: [step('kong.telemetry.log', ['my-plugin', conf, 'result'])],
    result: false,
  },
];

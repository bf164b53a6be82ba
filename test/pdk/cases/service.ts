/** Binding cases for `kong.service`, `kong.service.request` and `kong.service.response`. */
import type { Case } from '../harness.ts';
import { step } from '../harness.ts';

const body = new Uint8Array([0x1f, 0x8b, 0x08]);

export const serviceCases: readonly Case[] = [
  { title: 'setUpstream', call: (k) => k.service.setUpstream('up'), steps: [step('kong.service.set_upstream', ['up'], true)], result: true },
  { title: 'setUpstream: not found', call: (k) => k.service.setUpstream('nope'), steps: [step('kong.service.set_upstream', ['nope'])], result: false },
  { title: 'setTarget', call: (k) => k.service.setTarget('10.0.0.2', 8080), steps: [step('kong.service.set_target', ['10.0.0.2', 8080])], result: undefined },
  { title: 'setRetries', call: (k) => k.service.setRetries(3), steps: [step('kong.service.set_retries', [3])], result: undefined },
  {
    title: 'setTimeouts',
    call: (k) => k.service.setTimeouts(1000, 2000, 3000),
    steps: [step('kong.service.set_timeouts', [1000, 2000, 3000])],
    result: undefined,
  },
  { title: 'setTlsVerify', call: (k) => k.service.setTlsVerify(true), steps: [step('kong.service.set_tls_verify', [true], true)], result: true },
  {
    title: 'setTlsVerifyDepth',
    call: (k) => k.service.setTlsVerifyDepth(3),
    steps: [step('kong.service.set_tls_verify_depth', [3], true)],
    result: true,
  },
  {
    title: 'request.enableBuffering',
    call: (k) => k.service.request.enableBuffering(),
    steps: [step('kong.service.request.enable_buffering', [])],
    result: undefined,
  },
  {
    title: 'request.setScheme',
    call: (k) => k.service.request.setScheme('https'),
    steps: [step('kong.service.request.set_scheme', ['https'])],
    result: undefined,
  },
  { title: 'request.setPath', call: (k) => k.service.request.setPath('/v2'), steps: [step('kong.service.request.set_path', ['/v2'])], result: undefined },
  {
    title: 'request.setRawQuery',
    call: (k) => k.service.request.setRawQuery('a=1&b'),
    steps: [step('kong.service.request.set_raw_query', ['a=1&b'])],
    result: undefined,
  },
  {
    title: 'request.setMethod',
    call: (k) => k.service.request.setMethod('DELETE'),
    steps: [step('kong.service.request.set_method', ['DELETE'])],
    result: undefined,
  },
  {
    title: 'request.setQuery',
    call: (k) => k.service.request.setQuery({ a: 'x y', b: ['1', true], c: true }),
    steps: [step('kong.service.request.set_query', [{ a: 'x y', b: ['1', true], c: true }])],
    result: undefined,
  },
  {
    title: 'request.clearQueryArg',
    call: (k) => k.service.request.clearQueryArg('a'),
    steps: [step('kong.service.request.clear_query_arg', ['a'])],
    result: undefined,
  },
  {
    title: 'request.setHeader',
    call: (k) => k.service.request.setHeader('X-A', true),
    steps: [step('kong.service.request.set_header', ['X-A', true])],
    result: undefined,
  },
  {
    title: 'request.addHeader',
    call: (k) => k.service.request.addHeader('X-A', 'b'),
    steps: [step('kong.service.request.add_header', ['X-A', 'b'])],
    result: undefined,
  },
  {
    title: 'request.clearHeader',
    call: (k) => k.service.request.clearHeader('X-A'),
    steps: [step('kong.service.request.clear_header', ['X-A'])],
    result: undefined,
  },
  {
    title: 'request.setHeaders',
    call: (k) => k.service.request.setHeaders({ A: 'a' }),
    steps: [step('kong.service.request.set_headers', [{ A: 'a' }])],
    result: undefined,
  },
  {
    title: 'request.setRawBody: bytes',
    call: (k) => k.service.request.setRawBody(body),
    steps: [step('kong.service.request.set_raw_body', [body])],
    result: undefined,
  },
  {
    title: 'request.setRawBody: text',
    call: (k) => k.service.request.setRawBody(''),
    steps: [step('kong.service.request.set_raw_body', [''])],
    result: undefined,
  },
  {
    title: 'request.setBody',
    call: (k) => k.service.request.setBody({ name: 'x', n: [1, 2] }, 'application/json'),
    steps: [step('kong.service.request.set_body', [{ name: 'x', n: [1, 2] }, 'application/json'], true)],
    result: true,
  },
  {
    title: 'request.setBody: no content type',
    call: (k) => k.service.request.setBody({ a: 'b' }),
    steps: [step('kong.service.request.set_body', [{ a: 'b' }])],
    result: false,
  },
  {
    title: 'request.disableTls',
    call: (k) => k.service.request.disableTls(),
    steps: [step('kong.service.request.disable_tls', [], true)],
    result: true,
  },
  {
    title: 'request.enableTls',
    call: (k) => k.service.request.enableTls(),
    steps: [step('kong.service.request.enable_tls', [], true)],
    result: true,
  },
  {
    title: 'response.getStatus',
    call: (k) => k.service.response.getStatus(),
    steps: [step('kong.service.response.get_status', [], 418)],
    result: 418,
  },
  {
    title: 'response.getHeaders',
    call: (k) => k.service.response.getHeaders(),
    steps: [step('kong.service.response.get_headers', [], { a: 'b' })],
    result: { a: ['b'] },
  },
  {
    title: 'response.getHeader',
    call: (k) => k.service.response.getHeader('A'),
    steps: [step('kong.service.response.get_header', ['A'], 'b')],
    result: 'b',
  },
  {
    title: 'response.getRawBody',
    call: (k) => k.service.response.getRawBody(),
    steps: [step('kong.service.response.get_raw_body', [], body)],
    result: body,
  },
  {
    title: 'response.getBody',
    call: (k) => k.service.response.getBody('application/json'),
    steps: [step('kong.service.response.get_body', ['application/json'], { ok: true })],
    result: { ok: true },
  },
  {
    title: 'response.getBody(undefined, maxArgs) reads Content-Type first',
    call: (k) => k.service.response.getBody(undefined, 10),
    steps: [
      step('kong.service.response.get_header', ['Content-Type'], 'application/x-www-form-urlencoded'),
      step('kong.service.response.get_body', ['application/x-www-form-urlencoded', 10], { a: 'b' }),
    ],
    result: { a: 'b' },
  },
];

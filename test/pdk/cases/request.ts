/** Binding cases for `kong.request`. */
import type { Case } from '../harness.ts';
import { step } from '../harness.ts';

const bytes = new Uint8Array([0xff, 0x00, 0x41]);

export const requestCases: readonly Case[] = [
  { title: 'getScheme', call: (k) => k.request.getScheme(), steps: [step('kong.request.get_scheme', [], 'https')], result: 'https' },
  { title: 'getHost', call: (k) => k.request.getHost(), steps: [step('kong.request.get_host', [], 'example.com')], result: 'example.com' },
  { title: 'getPort', call: (k) => k.request.getPort(), steps: [step('kong.request.get_port', [], 8000)], result: 8000 },
  { title: 'getForwardedScheme', call: (k) => k.request.getForwardedScheme(), steps: [step('kong.request.get_forwarded_scheme', [], 'https')], result: 'https' },
  { title: 'getForwardedHost', call: (k) => k.request.getForwardedHost(), steps: [step('kong.request.get_forwarded_host', [], 'a.b')], result: 'a.b' },
  { title: 'getForwardedPort', call: (k) => k.request.getForwardedPort(), steps: [step('kong.request.get_forwarded_port', [], 443)], result: 443 },
  { title: 'getForwardedPath', call: (k) => k.request.getForwardedPath(), steps: [step('kong.request.get_forwarded_path', [], '/p')], result: '/p' },
  { title: 'getForwardedPrefix', call: (k) => k.request.getForwardedPrefix(), steps: [step('kong.request.get_forwarded_prefix', [], '/api')], result: '/api' },
  { title: 'getForwardedPrefix: none', call: (k) => k.request.getForwardedPrefix(), steps: [step('kong.request.get_forwarded_prefix', [])], result: undefined },
  { title: 'getHttpVersion', call: (k) => k.request.getHttpVersion(), steps: [step('kong.request.get_http_version', [], 1.1)], result: 1.1 },
  { title: 'getMethod', call: (k) => k.request.getMethod(), steps: [step('kong.request.get_method', [], 'POST')], result: 'POST' },
  { title: 'getPath', call: (k) => k.request.getPath(), steps: [step('kong.request.get_path', [], '/a b')], result: '/a b' },
  { title: 'getRawPath', call: (k) => k.request.getRawPath(), steps: [step('kong.request.get_raw_path', [], '/a%20b')], result: '/a%20b' },
  {
    title: 'getPathWithQuery',
    call: (k) => k.request.getPathWithQuery(),
    steps: [step('kong.request.get_path_with_query', [], '/a?x=1')],
    result: '/a?x=1',
  },
  { title: 'getRawQuery', call: (k) => k.request.getRawQuery(), steps: [step('kong.request.get_raw_query', [], 'x=1&y')], result: 'x=1&y' },
  { title: 'getQueryArg', call: (k) => k.request.getQueryArg('x'), steps: [step('kong.request.get_query_arg', ['x'], '1')], result: '1' },
  { title: 'getQueryArg: flag becomes ""', call: (k) => k.request.getQueryArg('y'), steps: [step('kong.request.get_query_arg', ['y'], true)], result: '' },
  { title: 'getQueryArg: absent', call: (k) => k.request.getQueryArg('z'), steps: [step('kong.request.get_query_arg', ['z'])], result: undefined },
  {
    title: 'getQuery: multi-map with flags',
    call: (k) => k.request.getQuery(),
    steps: [step('kong.request.get_query', [], { x: ['1'], y: [], z: ['a', true] })],
    result: { x: ['1'], y: [''], z: ['a', ''] },
  },
  { title: 'getQuery(maxArgs)', call: (k) => k.request.getQuery(5), steps: [step('kong.request.get_query', [5], {})], result: {} },
  { title: 'getHeader', call: (k) => k.request.getHeader('Host'), steps: [step('kong.request.get_header', ['Host'], 'x')], result: 'x' },
  {
    title: 'getHeaders',
    call: (k) => k.request.getHeaders(10),
    steps: [step('kong.request.get_headers', [10], { host: ['x'], accept: ['a', 'b'] })],
    result: { host: ['x'], accept: ['a', 'b'] },
  },
  { title: 'getRawBody: bin', call: (k) => k.request.getRawBody(), steps: [step('kong.request.get_raw_body', [], bytes)], result: bytes },
  {
    title: 'getRawBody: Kong 2.x str',
    call: (k) => k.request.getRawBody(0),
    steps: [step('kong.request.get_raw_body', [0], 'hi')],
    result: new Uint8Array([104, 105]),
  },
  { title: 'getBody', call: (k) => k.request.getBody(), steps: [step('kong.request.get_body', [], { a: 1 })], result: { a: 1 } },
  {
    title: 'getBody(mimetype, maxArgs, maxAllowedFileSize)',
    call: (k) => k.request.getBody('application/json', 10, 0),
    steps: [step('kong.request.get_body', ['application/json', 10, 0], [1, 2])],
    result: [1, 2],
  },
  {
    title: 'getBody(undefined, maxArgs) reads Content-Type to fill the gap',
    call: (k) => k.request.getBody(undefined, 5),
    steps: [
      step('kong.request.get_header', ['Content-Type'], 'application/x-www-form-urlencoded'),
      step('kong.request.get_body', ['application/x-www-form-urlencoded', 5], { a: 'b' }),
    ],
    result: { a: 'b' },
  },
  {
    title: 'getBody(mimetype, undefined, size) sends the default maxArgs',
    call: (k) => k.request.getBody('application/json', undefined, 1024),
    steps: [step('kong.request.get_body', ['application/json', 100, 1024], { a: 1 })],
    result: { a: 1 },
  },
  {
    title: 'getBody(undefined, undefined, size) without Content-Type is undefined',
    call: (k) => k.request.getBody(undefined, undefined, 1024),
    steps: [step('kong.request.get_header', ['Content-Type'])],
    result: undefined,
  },
  { title: 'getStartTime', call: (k) => k.request.getStartTime(), steps: [step('kong.request.get_start_time', [], 1649960273000)], result: 1649960273000 },
  {
    title: 'getUriCaptures: captures start at 0, so they travel as a map',
    call: (k) => k.request.getUriCaptures(),
    steps: [step('kong.request.get_uri_captures', [], { unnamed: { 0: '/users/42', 1: '42', 2: false }, named: { id: '42' } })],
    result: { unnamed: ['/users/42', '42', undefined], named: { id: '42' } },
  },
  {
    title: 'getUriCaptures: none',
    call: (k) => k.request.getUriCaptures(),
    steps: [step('kong.request.get_uri_captures', [], { unnamed: [], named: [] })],
    result: { unnamed: [], named: {} },
  },
];

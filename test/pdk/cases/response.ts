/** Binding cases for `kong.response`. */
import type { Case } from '../harness.ts';
import { exitStep, step } from '../harness.ts';

export const responseCases: readonly Case[] = [
  { title: 'getStatus', call: (k) => k.response.getStatus(), steps: [step('kong.response.get_status', [], 200)], result: 200 },
  { title: 'getHeader', call: (k) => k.response.getHeader('X-A'), steps: [step('kong.response.get_header', ['X-A'], 'a')], result: 'a' },
  {
    title: 'getHeaders: a bare string value becomes a list',
    call: (k) => k.response.getHeaders(),
    steps: [step('kong.response.get_headers', [], { 'x-a': 'a', 'x-b': ['1', '2'] })],
    result: { 'x-a': ['a'], 'x-b': ['1', '2'] },
  },
  { title: 'getHeaders(max)', call: (k) => k.response.getHeaders(3), steps: [step('kong.response.get_headers', [3], [])], result: {} },
  { title: 'getSource', call: (k) => k.response.getSource(), steps: [step('kong.response.get_source', [], 'service')], result: 'service' },
  { title: 'setStatus', call: (k) => k.response.setStatus(404), steps: [step('kong.response.set_status', [404])], result: undefined },
  { title: 'setHeader', call: (k) => k.response.setHeader('X-A', 1), steps: [step('kong.response.set_header', ['X-A', 1])], result: undefined },
  {
    title: 'addHeader',
    call: (k) => k.response.addHeader('Cache-Control', ['no-cache', 'no-store']),
    steps: [step('kong.response.add_header', ['Cache-Control', ['no-cache', 'no-store']])],
    result: undefined,
  },
  { title: 'clearHeader', call: (k) => k.response.clearHeader('X-A'), steps: [step('kong.response.clear_header', ['X-A'])], result: undefined },
  {
    title: 'setHeaders',
    call: (k) => k.response.setHeaders({ 'X-A': 'a', 'X-B': ['1', '2'] }),
    steps: [step('kong.response.set_headers', [{ 'X-A': 'a', 'X-B': ['1', '2'] }])],
    result: undefined,
  },
  { title: 'exit(status)', call: (k) => k.response.exit(204), steps: [exitStep('kong.response.exit', [204])] },
  {
    title: 'exit(status, json, headers)',
    call: (k) => k.response.exit(403, { message: 'no' }, { 'WWW-Authenticate': 'Basic' }),
    steps: [exitStep('kong.response.exit', [403, { message: 'no' }, { 'WWW-Authenticate': 'Basic' }])],
  },
  {
    title: 'exit(status, bytes)',
    call: (k) => k.response.exit(200, new Uint8Array([1, 2])),
    steps: [exitStep('kong.response.exit', [200, new Uint8Array([1, 2])])],
  },
  {
    title: "exit(status, undefined, headers): one exit with an empty body, which Kong's exit treats as nil",
    call: (k) => k.response.exit(401, undefined, { 'WWW-Authenticate': 'Basic' }),
    steps: [exitStep('kong.response.exit', [401, '', { 'WWW-Authenticate': 'Basic' }])],
  },
  { title: 'error(status)', call: (k) => k.response.error(500), steps: [exitStep('kong.response.error', [500])] },
  {
    title: 'error(status, message, headers)',
    call: (k) => k.response.error(403, 'Go away', { 'Content-Type': 'text/plain' }),
    steps: [exitStep('kong.response.error', [403, 'Go away', { 'Content-Type': 'text/plain' }])],
  },
  {
    title: "error(status, undefined, headers) fills in Kong's default message",
    call: (k) => k.response.error(403, undefined, { 'X-A': 'a' }),
    steps: [exitStep('kong.response.error', [403, 'Forbidden', { 'X-A': 'a' }])],
  },
  {
    title: 'error: default message for a status without a text',
    call: (k) => k.response.error(599, undefined, { 'X-A': 'a' }),
    steps: [exitStep('kong.response.error', [599, 'The upstream server responded with 599', { 'X-A': 'a' }])],
  },
];

/** Binding cases for `kong.client` and `kong.client.tls`. */
import type { Case } from '../harness.ts';
import { step } from '../harness.ts';

const consumer = { id: '5a7b8c9d-0000-4000-8000-000000000001', username: 'alice', created_at: 1700000000, tags: [] };
const credential = { id: 'c1', consumer: { id: consumer.id }, key: 'secret' };

export const clientCases: readonly Case[] = [
  { title: 'getIp', call: (k) => k.client.getIp(), steps: [step('kong.client.get_ip', [], '10.0.0.1')], result: '10.0.0.1' },
  { title: 'getIp: nil', call: (k) => k.client.getIp(), steps: [step('kong.client.get_ip', [])], result: undefined },
  { title: 'getForwardedIp', call: (k) => k.client.getForwardedIp(), steps: [step('kong.client.get_forwarded_ip', [], '1.2.3.4')], result: '1.2.3.4' },
  { title: 'getPort', call: (k) => k.client.getPort(), steps: [step('kong.client.get_port', [], 40000)], result: 40000 },
  { title: 'getForwardedPort', call: (k) => k.client.getForwardedPort(), steps: [step('kong.client.get_forwarded_port', [], 443)], result: 443 },
  { title: 'getCredential', call: (k) => k.client.getCredential(), steps: [step('kong.client.get_credential', [], credential)], result: credential },
  { title: 'getCredential: none', call: (k) => k.client.getCredential(), steps: [step('kong.client.get_credential', [])], result: undefined },
  {
    title: 'loadConsumer by id',
    call: (k) => k.client.loadConsumer(consumer.id),
    steps: [step('kong.client.load_consumer', [consumer.id], consumer)],
    result: consumer,
  },
  {
    title: 'loadConsumer by username',
    call: (k) => k.client.loadConsumer('alice', true),
    steps: [step('kong.client.load_consumer', ['alice', true], consumer)],
    result: consumer,
  },
  { title: 'getConsumer', call: (k) => k.client.getConsumer(), steps: [step('kong.client.get_consumer', [], consumer)], result: consumer },
  {
    title: 'authenticate(consumer, credential)',
    call: (k) => k.client.authenticate(consumer, credential),
    steps: [step('kong.client.authenticate', [consumer, credential])],
    result: undefined,
  },
  {
    title: 'authenticate(consumer) drops the trailing nil',
    call: (k) => k.client.authenticate(consumer, null),
    steps: [step('kong.client.authenticate', [consumer])],
    result: undefined,
  },
  {
    title: 'authenticate(null, credential) goes through set_ctx, avoiding a nil hole',
    call: (k) => k.client.authenticate(null, credential),
    steps: [
      step('kong.nginx.set_ctx', ['authenticated_consumer']),
      step('kong.nginx.set_ctx', ['authenticated_credential', credential]),
    ],
    result: undefined,
  },
  { title: 'getProtocol', call: (k) => k.client.getProtocol(), steps: [step('kong.client.get_protocol', [], 'https')], result: 'https' },
  {
    title: 'getProtocol(allowTerminated)',
    call: (k) => k.client.getProtocol(true),
    steps: [step('kong.client.get_protocol', [true], 'https')],
    result: 'https',
  },
  {
    title: 'tls.requestClientCertificate',
    call: (k) => k.client.tls.requestClientCertificate(),
    steps: [step('kong.client.tls.request_client_certificate', [], true)],
    result: true,
  },
  {
    title: 'tls.requestClientCertificate: nil is false',
    call: (k) => k.client.tls.requestClientCertificate(),
    steps: [step('kong.client.tls.request_client_certificate', [])],
    result: false,
  },
  {
    title: 'tls.disableSessionReuse',
    call: (k) => k.client.tls.disableSessionReuse(),
    steps: [step('kong.client.tls.disable_session_reuse', [], true)],
    result: true,
  },
  {
    title: 'tls.getFullClientCertificateChain',
    call: (k) => k.client.tls.getFullClientCertificateChain(),
    steps: [step('kong.client.tls.get_full_client_certificate_chain', [], '-----BEGIN CERTIFICATE-----\n')],
    result: '-----BEGIN CERTIFICATE-----\n',
  },
  {
    title: 'tls.setClientVerify',
    call: (k) => k.client.tls.setClientVerify('FAILED:unknown CA'),
    steps: [step('kong.client.tls.set_client_verify', ['FAILED:unknown CA'])],
    result: undefined,
  },
];

/** Binding cases for `kong.vault`. */
import type { Case } from '../harness.ts';
import { step } from '../harness.ts';

const options = { password: 'old', $refs: { password: '{vault://env/db-password}' } };

export const vaultCases: readonly Case[] = [
  { title: 'get', call: (k) => k.vault.get('{vault://env/x}'), steps: [step('kong.vault.get', ['{vault://env/x}'], 's3cr3t')], result: 's3cr3t' },
  { title: 'get: unresolved', call: (k) => k.vault.get('{vault://env/y}'), steps: [step('kong.vault.get', ['{vault://env/y}'])], result: undefined },
  { title: 'isReference', call: (k) => k.vault.isReference('{vault://env/x}'), steps: [step('kong.vault.is_reference', ['{vault://env/x}'], true)], result: true },
  {
    title: 'parseReference',
    call: (k) => k.vault.parseReference('{vault://env/cert/key?prefix=SSL_#1}'),
    steps: [
      step('kong.vault.parse_reference', ['{vault://env/cert/key?prefix=SSL_#1}'], {
        name: 'env',
        resource: 'cert',
        key: 'key',
        config: { prefix: 'SSL_' },
        version: 1,
      }),
    ],
    result: { name: 'env', resource: 'cert', key: 'key', config: { prefix: 'SSL_' }, version: 1 },
  },
  {
    title: 'update',
    call: (k) => k.vault.update(options),
    steps: [step('kong.vault.update', [options], { ...options, password: 'new' })],
    result: { ...options, password: 'new' },
  },
  { title: 'flush', call: (k) => k.vault.flush(), steps: [step('kong.vault.flush', [])], result: undefined },
  {
    title: 'warmup',
    call: (k) => k.vault.warmup({ a: '{vault://env/a}' }),
    steps: [step('kong.vault.warmup', [{ a: '{vault://env/a}' }])],
    result: undefined,
  },
];

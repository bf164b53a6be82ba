/**
 * A plugin awaiting something slow for 6 s while 100 other requests finish
 * (slow-await.ts; faults.test.ts runs it for 1.5 s). `npm run test:full` only.
 */
import { describe, it } from 'node:test';
import { checkSlowAwait } from './slow-await.ts';

describe('faults', () => {
  it('does not hold up other events while a plugin awaits something slow', { timeout: 60_000 }, () => checkSlowAwait(6000, 5));
});

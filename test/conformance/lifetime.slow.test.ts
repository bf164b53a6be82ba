/**
 * Conformance: event lifetime over 100,000 events (many-events.ts says what
 * it checks; lifetime.test.ts runs the same with 5,000). `npm run test:full` only.
 */
import { describe, it } from 'node:test';
import { probe } from '../fixtures/probe.ts';
import { startTestServer } from '../support/server.ts';
import { driveEvents } from './many-events.ts';

describe('event lifetime', () => {
  it('keeps no event state after 100,000 events, a third ending in exit and a third making no PDK call', async () => {
    // Its own server with the default timeouts: on a loaded machine a Step can take longer than short ones.
    const own = await startTestServer([probe]);
    try {
      await driveEvents(own, 100_000);
    } finally {
      await own.close();
    }
  });
});

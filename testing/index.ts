/**
 * Testing plugins without Kong.
 *
 * @module
 */
export { KongHost, type ConfiguredPlugin, type HostResponse, type KongHostOptions, type PhaseOutcome } from './host/kong-host.ts';
export { FakeRequest, type FakeRequestInit, type HostVersion } from './host/fake-request.ts';
export { HostConnection, type CallResult } from './host/host-connection.ts';

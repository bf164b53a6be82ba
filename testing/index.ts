/**
 * `tspdk/testing`: test Kong plugins without Kong.
 *
 * - {@link runPlugin} / {@link PluginInstance}: push simulated requests
 *   through a plugin's phases in Kong's order, in this process, with the
 *   real PDK bindings over a fake Kong; get back the client's response, the
 *   request the Service got, the log lines and every PDK call.
 * - {@link startPluginServer}: the same requests over the wire, through the
 *   real plugin server on a temporary socket and a Kong host stand-in.
 *
 * Importing this module marks the process as a host, so importing a plugin
 * file (which calls `serve(...)`) registers the plugin instead of starting a
 * standalone server. Nothing here depends on a test runner.
 *
 * @module
 */
import { hostPlugins } from '../plugin/serve.ts';

hostPlugins();

export { runPlugin, checkConfig, PluginInstance, PluginConfigError, type ConfigInput, type PluginUnderTest, type RunOptions } from './run/run-plugin.ts';
export { startPluginServer, type WireServer, type WireServerOptions } from './run/wire.ts';
export type { RunResult } from './run/result.ts';
export { ClientResponse } from './run/response.ts';
export type { PhaseOutcome, PhaseRecord } from './run/flow.ts';
export type { RequestInit, WorldInit, HeaderInput, TlsInit } from './fake/options.ts';
export { echoUpstream, type ServiceRequestSnapshot, type UpstreamReply } from './fake/upstream.ts';
export { FakeKong, HANDLERS, type CallOutcome, type PdkCall, type PdkHost } from './fake/fake-kong.ts';
export { UNSUPPORTED } from './fake/unsupported.ts';
export { LuaError, UnsupportedPdkMethodError } from './fake/errors.ts';
export { DEFAULT_ROUTE, DEFAULT_SERVICE, type LogLine, type ResponseSource } from './fake/state.ts';
export { NEWEST_KONG_RELEASE, type HostVersion } from './fake/version.ts';

// The Kong host stand-in, for protocol-level tests.
export { KongHost, type ConfiguredPlugin, type KongHostOptions, type PhaseOutcome as HostPhaseOutcome } from './host/kong-host.ts';
export { FakeRequest, type FakeRequestInit, type HostResponse } from './host/host-request.ts';
export { HostConnection, type CallResult } from './host/host-connection.ts';

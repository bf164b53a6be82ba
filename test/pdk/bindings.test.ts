/**
 * Every binding through the scripted mock bridge: exact Lua name, exact
 * arguments on the wire, shaped result, and the Kong 2.x StepError path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pdkMethods } from '../../pdk/methods.ts';
import { clientCases } from './cases/client.ts';
import { logCases } from './cases/log.ts';
import { miscCases } from './cases/misc.ts';
import { nginxNodeCases } from './cases/nginx-node.ts';
import { requestCases } from './cases/request.ts';
import { responseCases } from './cases/response.ts';
import { serviceCases } from './cases/service.ts';
import { vaultCases } from './cases/vault.ts';
import { methodsOf, runCases } from './harness.ts';

const all = {
  'kong.client': clientCases,
  'kong.cluster, ip, plugin, router, ctx.shared, telemetry': miscCases,
  'kong.log': logCases,
  'kong.nginx, kong.node': nginxNodeCases,
  'kong.request': requestCases,
  'kong.response': responseCases,
  'kong.service': serviceCases,
  'kong.vault': vaultCases,
};

for (const [name, cases] of Object.entries(all)) runCases(name, cases);

void test('every bound Lua function has a binding test', () => {
  const tested = methodsOf(Object.values(all).flat());
  const untested = Object.keys(pdkMethods).filter((name) => !tested.has(name));
  assert.deepStrictEqual(untested, []);
});

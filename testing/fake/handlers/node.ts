/**
 * The PDK functions that need no request: `kong.node`, `kong.cluster`,
 * `kong.plugin`, `kong.ip`, `kong.router`, `kong.vault`, `kong.telemetry`.
 *
 * @module
 */
import { Fail, stringArg, type Handler } from '../call.ts';

const REFERENCE = /^\{vault:\/\/([^/{}]+)\/([^{}]+?)\}$/;

/** The fixed ids of the fake node, cluster and plugin (override them with the world's options). */
const FAKE_IDS = {
  node: '0b3f4d2e-3c1c-4e38-9f71-2f9bd6c1f0a1',
  cluster: '0a0a0a0a-0000-4000-8000-0000000c1057',
  plugin: '3f0f2f4e-0000-4000-8000-000000000001',
} as const;

/** The `kong.node`, `kong.cluster`, `kong.plugin`, `kong.ip` and `kong.router` functions. */
export const nodeHandlers: Readonly<Record<string, Handler>> = {
  'kong.node.get_id': (call) => call.state.world.nodeId ?? FAKE_IDS.node,
  'kong.node.get_hostname': (call) => call.state.world.hostname ?? 'kong-test-node',
  'kong.node.get_memory_stats': (_call, args) => {
    const unit = typeof args[0] === 'string' ? args[0].toLowerCase() : 'b';
    const size = (bytes: number): number | string => (unit === 'b' ? bytes : `${(bytes / 1024 ** ('kmg'.indexOf(unit) + 1)).toFixed(2)} ${unit.toUpperCase()}iB`);
    return {
      lua_shared_dicts: { kong: { allocated_slabs: size(12288), capacity: size(5242880) } },
      workers_lua_vms: [{ pid: 4242, http_allocated_gc: size(1048576) }],
    };
  },
  'kong.cluster.get_id': (call) => call.state.world.clusterId ?? FAKE_IDS.cluster,
  'kong.plugin.get_id': (call) => call.state.world.pluginId ?? FAKE_IDS.plugin,
  'kong.ip.is_trusted': (call, args) => call.state.isTrusted(stringArg(call, args, 0, 'address')),
  'kong.router.get_route': (call) => call.state.route,
  'kong.router.get_service': (call) => call.state.serviceEntity,
};

/** The `kong.vault` functions the kit simulates (secrets come from the world's `secrets`). */
export const vaultHandlers: Readonly<Record<string, Handler>> = {
  'kong.vault.get': (call, args) => {
    const reference = stringArg(call, args, 0, 'reference');
    return call.state.world.secrets?.[reference] ?? new Fail(`could not get value from external vault (${reference})`);
  },
  'kong.vault.is_reference': (_call, args) => typeof args[0] === 'string' && REFERENCE.test(args[0]),
  'kong.vault.parse_reference': (call, args) => {
    const match = REFERENCE.exec(stringArg(call, args, 0, 'reference'));
    if (match === null) return new Fail('not a reference');
    const [, name = '', rest = ''] = match;
    const [resource = '', key] = rest.split('/');
    return { name, resource, ...(key === undefined ? {} : { key }) };
  },
};

/** `kong.telemetry.log`: records the call, as Kong's OpenTelemetry plugin would receive it. */
export const telemetryHandlers: Readonly<Record<string, Handler>> = {
  'kong.telemetry.log': (call, args) => {
    call.state.telemetry.push([...args]);
    return true;
  },
};

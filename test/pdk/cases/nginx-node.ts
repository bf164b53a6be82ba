/** Binding cases for `kong.nginx` and `kong.node`. */
import type { Case } from '../harness.ts';
import { step } from '../harness.ts';

const stats = {
  connections_active: 1,
  connections_reading: 0,
  connections_writing: 1,
  connections_waiting: 0,
  connections_accepted: 10,
  connections_handled: 10,
  total_requests: 12,
};
const memory = {
  lua_shared_dicts: { kong: { allocated_slabs: 12288, capacity: 24576 } },
  workers_lua_vms: [{ http_allocated_gc: 1102, pid: 18004 }],
};

export const nginxNodeCases: readonly Case[] = [
  { title: 'nginx.getSubsystem', call: (k) => k.nginx.getSubsystem(), steps: [step('kong.nginx.get_subsystem', [], 'http')], result: 'http' },
  { title: 'nginx.getStatistics', call: (k) => k.nginx.getStatistics(), steps: [step('kong.nginx.get_statistics', [], stats)], result: stats },
  { title: 'nginx.getVar', call: (k) => k.nginx.getVar('request_id'), steps: [step('kong.nginx.get_var', ['request_id'], 'abc')], result: 'abc' },
  {
    title: 'nginx.getTls1VersionStr',
    call: (k) => k.nginx.getTls1VersionStr(),
    steps: [step('kong.nginx.get_tls1_version_str', [], 'TLSv1.3')],
    result: 'TLSv1.3',
  },
  { title: 'nginx.getCtx', call: (k) => k.nginx.getCtx('KONG_ACCESS_START'), steps: [step('kong.nginx.get_ctx', ['KONG_ACCESS_START'], 17)], result: 17 },
  { title: 'nginx.setCtx', call: (k) => k.nginx.setCtx('k', 'v'), steps: [step('kong.nginx.set_ctx', ['k', 'v'])], result: undefined },
  { title: 'nginx.setCtx: remove', call: (k) => k.nginx.setCtx('k', undefined), steps: [step('kong.nginx.set_ctx', ['k', null])], result: undefined },
  { title: 'nginx.reqStartTime', call: (k) => k.nginx.reqStartTime(), steps: [step('kong.nginx.req_start_time', [], 1700000000.123)], result: 1700000000.123 },
  { title: 'node.getId', call: (k) => k.node.getId(), steps: [step('kong.node.get_id', [], 'n-1')], result: 'n-1' },
  { title: 'node.getHostname', call: (k) => k.node.getHostname(), steps: [step('kong.node.get_hostname', [], 'gw-1')], result: 'gw-1' },
  { title: 'node.getMemoryStats', call: (k) => k.node.getMemoryStats(), steps: [step('kong.node.get_memory_stats', [], memory)], result: memory },
  {
    title: 'node.getMemoryStats(unit, scale)',
    call: (k) => k.node.getMemoryStats('k', 1),
    steps: [step('kong.node.get_memory_stats', ['k', 1], memory)],
    result: memory,
  },
  {
    title: 'node.getMemoryStats(undefined, scale) sends the default unit',
    call: (k) => k.node.getMemoryStats(undefined, 3),
    steps: [step('kong.node.get_memory_stats', ['b', 3], memory)],
    result: memory,
  },
  {
    title: 'node.getMemoryStats: worker error lifted out of the array',
    call: (k) => k.node.getMemoryStats(),
    steps: [step('kong.node.get_memory_stats', [], { lua_shared_dicts: [], workers_lua_vms: { err: 'could not get kong shm keys: x' } })],
    result: { lua_shared_dicts: {}, workers_lua_vms: [], workers_lua_vms_err: 'could not get kong shm keys: x' },
  },
];

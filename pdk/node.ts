/**
 * `kong.node`: the Kong node the plugin runs under.
 *
 * Lua source: `kong/pdk/node.lua`.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import type { MemoryStats } from './entities.ts';
import { asMemoryStats, asString } from './shape.ts';
import { ask, sig } from './signature.ts';

/** Units `kong.node.get_memory_stats` reports in: bytes, KiB, MiB, GiB. */
export type MemoryUnit = 'b' | 'B' | 'k' | 'K' | 'm' | 'M' | 'g' | 'G';

/** Memory statistics in a unit: numbers for bytes, strings such as `"1.50 MiB"` otherwise. */
export type MemoryStatsIn<U extends MemoryUnit> = U extends 'b' | 'B' ? MemoryStats<number> : MemoryStats<string>;

/** The Lua functions of `kong.node` and how they travel over MsgPack. */
export const nodeMethods = {
  'kong.node.get_id': sig<[], string>(asString),
  'kong.node.get_hostname': sig<[], string>(asString),
  'kong.node.get_memory_stats': sig<[unit?: MemoryUnit, scale?: number], MemoryStats<number | string>>(asMemoryStats),
} as const;

/** `kong.node`: this Kong node. */
export class Node {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.node.get_id()`: the UUID this node identifies itself with.
   *
   * Phases: all.
   *
   * @since Kong 2.3.0
   */
  getId(): Promise<string> {
    return ask(this.#bridge, nodeMethods, 'kong.node.get_id');
  }

  /**
   * `kong.node.get_hostname()`: the host name of the machine Kong runs on
   * (an empty string if the system call fails).
   *
   * Phases: all.
   *
   * @since Kong 2.3.0
   */
  getHostname(): Promise<string> {
    return ask(this.#bridge, nodeMethods, 'kong.node.get_hostname');
  }

  /**
   * `kong.node.get_memory_stats(unit?, scale?)`: memory used by every
   * `lua_shared_dict` and by each worker's Lua VM. Without a unit (or with
   * `b`) the values are numbers of bytes; with `k`, `m` or `g` they are
   * strings like `"12.00 KiB"` with `scale` digits after the point
   * (default 2). A `scale` given without a unit is sent with Kong's default
   * unit `b`, since a nil cannot precede it on the wire.
   *
   * Phases: all.
   *
   * @since Kong 2.3.0
   */
  getMemoryStats(): Promise<MemoryStats<number>>;
  getMemoryStats<U extends MemoryUnit>(unit: U, scale?: number): Promise<MemoryStatsIn<U>>;
  getMemoryStats(unit: undefined, scale: number): Promise<MemoryStats<number>>;
  getMemoryStats(unit?: MemoryUnit, scale?: number): Promise<MemoryStats<number | string>> {
    const sent = unit === undefined && scale !== undefined ? 'b' : unit;
    return ask(this.#bridge, nodeMethods, 'kong.node.get_memory_stats', sent, scale);
  }
}

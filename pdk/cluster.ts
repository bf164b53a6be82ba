/**
 * `kong.cluster`: facts about the Kong cluster.
 *
 * Lua source: `kong/pdk/cluster.lua`.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { asOptionalString } from './shape.ts';
import { ask, sig } from './signature.ts';

/** The Lua functions of `kong.cluster` and how they travel over MsgPack. */
export const clusterMethods = {
  'kong.cluster.get_id': sig<[], string | undefined>(asOptionalString),
} as const;

/** `kong.cluster`: the cluster this node belongs to. */
export class Cluster {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.cluster.get_id()`: the cluster's UUID, shared by every node on the
   * same database and by the control and data planes of one hybrid
   * cluster. `undefined` in DB-less mode without a configured cluster id,
   * and on a database error (on 2.x the error rejects with `PDK_CALL_FAILED`).
   *
   * Phases: all.
   *
   * @since Kong 2.3.0
   */
  getId(): Promise<string | undefined> {
    return ask(this.#bridge, clusterMethods, 'kong.cluster.get_id');
  }
}

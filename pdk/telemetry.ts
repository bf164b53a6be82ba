/**
 * `kong.telemetry`: structured log records for the OpenTelemetry plugin.
 *
 * Lua source: `kong/pdk/telemetry.lua`.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { asSuccess } from './shape.ts';
import { ask, sig } from './signature.ts';

/**
 * The plugin configuration `kong.telemetry.log` expects: pass the `config`
 * your plugin received; Kong reads its `__plugin_id` and
 * `plugin_instance_name` meta fields.
 */
export type TelemetryPluginConfig = Readonly<Record<string, unknown>>;

/** Attributes of a telemetry log record. */
export type TelemetryAttributes = Readonly<Record<string, string | number | boolean>>;

/** The Lua functions of `kong.telemetry` and how they travel over MsgPack. */
export const telemetryMethods = {
  'kong.telemetry.log': sig<
    [pluginName: string, pluginConfig: TelemetryPluginConfig, messageType: string, message?: string, attributes?: TelemetryAttributes],
    boolean
  >(asSuccess),
} as const;

/** `kong.telemetry`: OpenTelemetry log records. */
export class Telemetry {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.telemetry.log(plugin_name, plugin_config, message_type, message?, attributes?)`:
   * records a log entry that the OpenTelemetry plugin exports, with
   * `attributes` plus `message.type`, `plugin.name`, `plugin.id` and
   * `plugin.instance.name`. Resolves `true` when recorded, `false` when not:
   * bad arguments, or OpenTelemetry log export is not configured (Kong's
   * reason is lost on 3.x; 2.x has no `kong.telemetry`).
   *
   * A missing `message` with `attributes` is sent as `""`, which Kong records
   * exactly as it records a nil message (an empty body), because a nil cannot
   * precede `attributes` on the wire.
   *
   * Phases: rewrite, access, response, log.
   *
   * @since Kong 3.8.0
   */
  log(pluginName: string, pluginConfig: TelemetryPluginConfig, messageType: string, message?: string, attributes?: TelemetryAttributes): Promise<boolean> {
    const text = message === undefined && attributes !== undefined ? '' : message;
    return ask(this.#bridge, telemetryMethods, 'kong.telemetry.log', pluginName, pluginConfig, messageType, text, attributes);
  }
}

/**
 * The phases an external plugin can have, in Kong's order of execution.
 *
 * @module
 */
import type { Kong } from '../pdk/kong.ts';

/** Phases in Kong's execution order (`preread` is the stream subsystem's `access`). */
export const PHASES = ['certificate', 'rewrite', 'access', 'response', 'preread', 'log'] as const;

/** One of {@link PHASES}. */
export type Phase = (typeof PHASES)[number];

/** A phase method of a plugin class: sync or async, receiving the event's PDK. */
export type PhaseMethod = (kong: Kong) => unknown;

/**
 * Phases in which Kong is still deciding whether to proxy the request: a
 * failing plugin there ends the request with a 500 unless it is fail-open.
 */
export const FAIL_CLOSED_PHASES: ReadonlySet<Phase> = new Set<Phase>(['rewrite', 'access', 'preread']);

/** Whether `name` is one of {@link PHASES}. */
export function isPhase(name: unknown): name is Phase {
  return typeof name === 'string' && (PHASES as readonly string[]).includes(name);
}

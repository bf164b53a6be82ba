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
 * Phases in which a failing plugin ends the request with a 500, unless it is
 * fail-open: where Kong still decides whether to proxy the request
 * (`rewrite`, `access`, `preread`), and `response`, where Kong holds the
 * Service's response until its plugins are done (a response filter that
 * fails must not let through what it was meant to filter; a Lua plugin that
 * errors there makes Kong answer 500 too). In `certificate` and `log` no PDK
 * call can stop anything: the failure is logged.
 */
export const FAIL_CLOSED_PHASES: ReadonlySet<Phase> = new Set<Phase>(['rewrite', 'access', 'response', 'preread']);

/** Whether `name` is one of {@link PHASES}. */
export function isPhase(name: unknown): name is Phase {
  return typeof name === 'string' && (PHASES as readonly string[]).includes(name);
}

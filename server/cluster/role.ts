/**
 * Whether this process is a worker of a multi-process server. The primary
 * starts each worker by running the same program with the same arguments,
 * plus `TSPDK_WORKER` in the environment and an IPC channel. Light on
 * purpose: read before anything else is loaded.
 *
 * @module
 */
import { serverSettings, type ServerSettings } from '../settings.ts';

/** Environment variable that marks a worker process. */
export const WORKER_ENV = 'TSPDK_WORKER';

/** What a worker learns from its primary at start. */
export interface WorkerIdentity {
  /** This worker's slot, 0 … `settings.workers`-1. */
  readonly slot: number;
  /** The private directory of the peer sockets. */
  readonly peers: string;
  /** The primary's pid: the one Kong is told about. */
  readonly primary: number;
  /** The primary's settings: the whole server runs with them. */
  readonly settings: ServerSettings;
}

let identity: WorkerIdentity | null | undefined;

/**
 * This process's worker identity, or `undefined` when it is not a worker.
 * The variable is removed from the environment at the first call, so that
 * processes a plugin starts do not inherit it.
 * @throws {@link Error} when the variable is set in a forked process but malformed.
 */
export function workerIdentity(): WorkerIdentity | undefined {
  if (identity === undefined) identity = readIdentity();
  return identity ?? undefined;
}

function readIdentity(): WorkerIdentity | null {
  const raw = process.env[WORKER_ENV];
  if (raw === undefined) return null;
  delete process.env[WORKER_ENV];
  // Only a process forked with an IPC channel can be a worker.
  if (process.send === undefined) return null;
  // Never fall back to acting as a primary here: that would fork workers of workers.
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const value = (parsed ?? {}) as Partial<Record<keyof WorkerIdentity, unknown>>;
  const { slot, peers, primary } = value;
  let settings: ServerSettings | undefined;
  try {
    settings = typeof value.settings === 'object' && value.settings !== null ? serverSettings(value.settings) : undefined;
  } catch {
    settings = undefined;
  }
  if (settings === undefined || !isIndex(slot) || slot >= settings.workers || typeof peers !== 'string' || !isIndex(primary)) {
    throw new Error(`${WORKER_ENV} is malformed: ${raw.slice(0, 200)}`);
  }
  return { slot, peers, primary, settings };
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

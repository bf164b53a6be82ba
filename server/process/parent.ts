/**
 * The process that started the server, and whether it is still there.
 *
 * Kong starts a plugin server from one of its nginx worker processes
 * (`/bin/sh -c "exec <start_cmd>"`), so the server's parent is that worker.
 * When the worker goes (a reload, a crash), the server is adopted by pid 1
 * or a subreaper, and must exit: a newer server serves Kong by then.
 *
 * A parent can also be gone before the server has even started to run, and
 * then the first parent the server sees is already its adopter. What can be
 * known then:
 * - with `--parent-pid <pid>`, whether that process is alive (exact; a
 *   start command in kong.conf can pass `--parent-pid $PPID`, as Kong runs
 *   it through a shell whose `$PPID` is the nginx worker);
 * - without it, whether the adopter is an nginx *master* process (Kong's
 *   official image runs it as pid 1): a master never starts plugin servers,
 *   its workers do, so a server whose parent is a master was orphaned. A
 *   parent that is pid 1 for another reason (an init system or a container
 *   init that starts the server itself, nginx as pid 1 with
 *   `master_process off`) is a legitimate parent and is kept.
 *
 * Light on purpose: the standalone entry imports it when the plugin file
 * loads, to see the parent as early as possible.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** The parent process when this module loaded (as early as the program could look). */
export const START_PARENT = process.ppid;

/** Whether process `pid` exists (a process of another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What {@link orphanedAtStart} looks at; taken from the system by default. */
export interface ParentFacts {
  /** The parent when the program started. */
  readonly startParent: number;
  /** `--parent-pid`, when given. */
  readonly parentPid?: number;
  readonly isAlive: (pid: number) => boolean;
  /** The command line of pid 1 (`/proc/1/cmdline`, NULs as spaces); `undefined` when it cannot be read. */
  readonly initCommandLine: () => string | undefined;
}

/** The facts of this process. */
export function parentFacts(parentPid?: number): ParentFacts {
  return { startParent: START_PARENT, parentPid, isAlive, initCommandLine: readInitCommandLine };
}

/**
 * Why the process that started this server is known to be gone already, or
 * `undefined` when it is not (see the module's comment for what can be known).
 */
export function orphanedAtStart(facts: ParentFacts): string | undefined {
  if (facts.parentPid !== undefined) {
    return facts.isAlive(facts.parentPid) ? undefined : `process ${facts.parentPid} (--parent-pid) is gone`;
  }
  if (facts.startParent !== 1) return undefined;
  const init = facts.initCommandLine();
  if (init?.startsWith('nginx: master process') === true) {
    return 'the parent is the nginx master (pid 1), which never starts plugin servers: the nginx worker that started this one is gone';
  }
  return undefined;
}

function readInitCommandLine(): string | undefined {
  try {
    return readFileSync('/proc/1/cmdline', 'latin1').replaceAll('\0', ' ').trim();
  } catch {
    return undefined;
  }
}

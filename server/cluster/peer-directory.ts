/**
 * The private directory of a multi-process server's peer sockets (the
 * worker-to-worker sockets of server/cluster/forwarder.ts), under the system's
 * temporary directory. The primary removes it when it exits; a primary that
 * was killed (SIGKILL, OOM) cannot, so each primary that starts removes the
 * directories of primaries that are gone.
 *
 * @module
 */
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';

const PREFIX = 'tspdk-peers-';

/** `tspdk-peers-<pid>-<random>`: the pid of the primary that made it. */
const NAME = /^tspdk-peers-(\d+)-[A-Za-z0-9]+$/;

/** Creates this primary's peer directory (mode 0700), after removing stale ones. */
export function createPeerDirectory(logger: Logger, root = tmpdir()): string {
  const removed = removeStalePeerDirectories(root);
  if (removed.length > 0) logger.info({ removed }, 'removed the peer socket directories of primaries that are gone');
  return mkdtempSync(join(root, `${PREFIX}${process.pid}-`));
}

/**
 * Removes the peer directories in `root` whose primary is no longer
 * running: only directories (not links) owned by this user, named as
 * {@link createPeerDirectory} names them. Returns their paths.
 */
function removeStalePeerDirectories(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = Number(NAME.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    const path = join(root, name);
    try {
      const stat = lstatSync(path);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

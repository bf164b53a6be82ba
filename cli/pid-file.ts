/**
 * The pid file of a `tspdk serve` process, read by `tspdk reload`.
 *
 * Kong starts a new server before it stops the old one, so the old server
 * removes the file on exit only while it still holds its own pid.
 *
 * @module
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** Writes `pid` to `path` atomically (write, then rename). */
export function writePidFile(path: string, pid: number = process.pid): void {
  const temporary = `${path}.${pid}.tmp`;
  writeFileSync(temporary, `${pid}\n`, { mode: 0o644 });
  renameSync(temporary, path);
}

/** The pid in `path`, or `undefined` when the file is missing or holds no pid. */
export function readPidFile(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Removes `path` if it still holds `pid` (never a newer server's file). Never throws. */
export function removePidFile(path: string, pid: number = process.pid): void {
  try {
    if (readPidFile(path) === pid) unlinkSync(path);
  } catch {
    // best effort at exit
  }
}

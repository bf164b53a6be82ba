/**
 * file-log: appends one JSON line per request, Kong's log table from
 * `kong.log.serialize()`, to a file: tspdk's counterpart of go-pdk's
 * go-log. It runs in the `log` phase, after the client got its response,
 * and never waits for the disk: lines are buffered and written by one
 * append at a time per file.
 *
 * A config change starts a new plugin instance; when its `path` differs,
 * lines go to the new file from the next request on, and the old file is
 * closed once idle. Files are also closed after `reopen_after_ms` without
 * writes and reopened on the next line, so a rotated file (logrotate)
 * is picked up.
 *
 *   node dist/examples/file-log.js -dump
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Config, field, serve, type Kong } from 'tspdk';

/** One log file: a buffer of lines and at most one append in flight. */
class LogFile {
  readonly path: string;
  readonly #idleMs: number;
  #lines: string[] = [];
  #handle: FileHandle | undefined;
  #writing: Promise<void> | undefined;
  #idle: NodeJS.Timeout | undefined;
  /** The last write error, reported (once) by the next event. */
  error: Error | undefined;

  constructor(path: string, idleMs: number) {
    this.path = path;
    this.#idleMs = idleMs;
  }

  /** Queues a line; the write happens in the background. */
  append(line: string): void {
    this.#lines.push(line);
    this.#writing ??= this.#drain();
  }

  /** Resolves once every queued line is written. */
  async flushed(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #drain(): Promise<void> {
    clearTimeout(this.#idle);
    try {
      while (this.#lines.length > 0) {
        const chunk = this.#lines.join('');
        this.#lines = [];
        this.#handle ??= await open(this.path, 'a', 0o640);
        await this.#handle.appendFile(chunk);
      }
    } catch (error) {
      this.error = error as Error;
      this.#lines = [];
      await this.close();
    } finally {
      this.#writing = undefined;
    }
    this.#idle = setTimeout(() => void this.close(), this.#idleMs);
    this.#idle.unref();
  }

  /** Closes the file; the next line reopens it. */
  async close(): Promise<void> {
    clearTimeout(this.#idle);
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

/** Open files of every instance in this process, by path. */
const files = new Map<string, LogFile>();

/** Waits until every queued line of every file is written (for tests and shutdown). */
export async function flushLogFiles(): Promise<void> {
  await Promise.all([...files.values()].map((file) => file.flushed()));
}

/** Flushes and closes every file. */
export async function closeLogFiles(): Promise<void> {
  await flushLogFiles();
  await Promise.all([...files.values()].map((file) => file.close()));
  files.clear();
}

export class FileLog extends Config({
  path: field.string({ required: true, match: '^/[^*&%%\\`]+$', description: 'Absolute path of the log file; created when missing.' }),
  reopen_after_ms: field.integer({ default: 5000, between: [10, 3_600_000], description: 'Close the file after this many idle ms.' }),
}) {
  async log(kong: Kong): Promise<void> {
    const file = this.#file();
    if (file.error !== undefined) {
      const { error } = file;
      file.error = undefined;
      await kong.log.err(`file-log: could not write to ${file.path}: ${error.message}`);
    }
    const entry = await kong.log.serialize();
    file.append(`${JSON.stringify(entry)}\n`);
  }

  #file(): LogFile {
    let file = files.get(this.path);
    if (file === undefined) {
      file = new LogFile(this.path, this.reopen_after_ms);
      files.set(this.path, file);
    }
    return file;
  }
}

export default serve(FileLog, { name: 'file-log-ts', version: '1.0.0', priority: 9 });

/**
 * Read-only access to a local git mirror of github.com/Kong/kong: release
 * tags, commits and file contents at any ref, through `git` itself (one
 * long-lived `git cat-file --batch` for the contents).
 *
 * @module
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';

/** How to get a mirror, for error messages and `--help`. */
export const MIRROR_HINT =
  'Make one with `git clone --mirror https://github.com/Kong/kong kong.git` (about 300 MB), ' +
  'refresh it with `git -C kong.git remote update`, and pass its path with --mirror.';

/** One object read through `git cat-file --batch`. */
interface Pending {
  readonly resolve: (text: string | undefined) => void;
  readonly reject: (err: Error) => void;
}

/** A local git mirror of Kong's repository. */
export class GitMirror {
  readonly dir: string;
  #batch: ChildProcessWithoutNullStreams | undefined;
  #buffer = Buffer.alloc(0);
  readonly #queue: Pending[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens the mirror at `dir`; fails with instructions when it is not a git repository of Kong. */
  static open(dir: string): GitMirror {
    if (!existsSync(dir)) throw new Error(`no git mirror of Kong at ${dir}. ${MIRROR_HINT}`);
    const mirror = new GitMirror(dir);
    try {
      mirror.git('rev-parse', '--git-dir');
    } catch {
      throw new Error(`${dir} is not a git repository. ${MIRROR_HINT}`);
    }
    if (mirror.commitOf('2.3.0') === undefined || mirror.commitOf('master') === undefined) {
      throw new Error(`${dir} has no tag 2.3.0 or no branch master: is it a mirror of github.com/Kong/kong? ${MIRROR_HINT}`);
    }
    return mirror;
  }

  /** Runs a git command in the mirror and returns its stdout. */
  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Every tag name. */
  tags(): string[] {
    return this.git('tag', '--list').split('\n').filter((t) => t !== '');
  }

  /** The commit a ref points to, or undefined when there is no such ref. */
  commitOf(ref: string): string | undefined {
    try {
      return this.git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`).trim();
    } catch {
      return undefined;
    }
  }

  /** The committer date of a commit, ISO 8601. */
  dateOf(commit: string): string {
    return this.git('show', '-s', '--format=%cI', commit).trim();
  }

  /** Paths of the files under `dir` at `ref` (recursive). */
  listFiles(ref: string, dir: string): string[] {
    return this.git('ls-tree', '-r', '--name-only', ref, '--', dir).split('\n').filter((p) => p !== '');
  }

  /** The text of `path` at `ref`, or undefined when the file does not exist there. */
  read(ref: string, path: string): Promise<string | undefined> {
    const batch = this.#startBatch();
    return new Promise((resolve, reject) => {
      this.#queue.push({ resolve, reject });
      batch.stdin.write(`${ref}:${path}\n`);
    });
  }

  /** Stops the `git cat-file` process. */
  close(): void {
    this.#batch?.stdin.end();
    this.#batch = undefined;
  }

  #startBatch(): ChildProcessWithoutNullStreams {
    if (this.#batch !== undefined) return this.#batch;
    const batch = spawn('git', ['-C', this.dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    batch.stdout.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    batch.on('error', (err) => this.#failAll(err));
    batch.on('exit', (code) => {
      if (this.#queue.length > 0) this.#failAll(new Error(`git cat-file exited with ${code ?? 'a signal'}`));
    });
    this.#batch = batch;
    return batch;
  }

  /** Answers queued reads from what `git cat-file --batch` sent so far. */
  #drain(): void {
    for (;;) {
      const eol = this.#buffer.indexOf(10);
      if (eol < 0 || this.#queue.length === 0) return;
      const header = this.#buffer.subarray(0, eol).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.#buffer = this.#buffer.subarray(eol + 1);
        this.#queue.shift()?.resolve(undefined);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (!Number.isInteger(size)) {
        this.#failAll(new Error(`unexpected git cat-file answer: ${header}`));
        return;
      }
      if (this.#buffer.length < eol + 1 + size + 1) return;
      const text = this.#buffer.subarray(eol + 1, eol + 1 + size).toString('utf8');
      this.#buffer = this.#buffer.subarray(eol + 1 + size + 1);
      this.#queue.shift()?.resolve(text);
    }
  }

  #failAll(err: Error): void {
    for (const p of this.#queue.splice(0)) p.reject(err);
  }
}

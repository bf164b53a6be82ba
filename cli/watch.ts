/**
 * `tspdk serve --watch`: reloads the plugin code when the compiled files
 * change, through the same reload as SIGHUP (server/modules/reload.ts):
 * instances keep their ids, events running finish on the old code, and a
 * change Kong would notice (schema, phases, priority) is refused with what
 * to do, the old code serving on.
 *
 * For a plugin file, its folder is watched (with subfolders: helpers); for a
 * directory, the directory. Changes are debounced: `tsc --watch` writes many
 * files at once, and one reload follows.
 *
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { statSync } from 'node:fs';
import type { Logger } from 'pino';

/** Files whose change reloads: modules and JSON they may import. */
const WATCHED = /\.(js|mjs|cjs|json)$/;
/** Quiet time after the last change before reloading. */
export const WATCH_DEBOUNCE_MS = 300;

/** The folders to watch for `paths`: a file's folder, a directory itself; nested ones dropped. */
export function watchedFolders(paths: readonly string[]): string[] {
  const folders = [
    ...new Set(
      paths.map((path) => {
        const full = resolve(path);
        try {
          return statSync(full).isDirectory() ? full : dirname(full);
        } catch {
          return dirname(full);
        }
      }),
    ),
  ];
  return folders.filter((folder) => !folders.some((other) => other !== folder && folder.startsWith(`${other}${sep}`)));
}

/** Whether a change to `file` (relative to a watched folder; null when the platform does not say) reloads. */
export function reloadsOn(file: string | null): boolean {
  if (file === null) return true;
  const parts = file.split(/[\\/]/);
  if (parts.some((part) => part === 'node_modules' || part.startsWith('.'))) return false;
  return WATCHED.test(file);
}

/** Watches the folders of `paths` and calls `reload` once changes settle. Returns a function that stops watching. */
export function watchPlugins(paths: readonly string[], reload: (changed: readonly string[]) => void, logger: Logger, debounceMs = WATCH_DEBOUNCE_MS): () => void {
  const folders = watchedFolders(paths);
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    const watcher = watch(folder, { recursive: true, persistent: false }, (_event, file) => {
      const name = file === null ? null : file.toString();
      if (!reloadsOn(name)) return;
      changed.add(name ?? folder);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...changed];
        changed = new Set();
        logger.info({ changed: files }, 'files changed; reloading the plugin code');
        reload(files);
      }, debounceMs);
    });
    watcher.on('error', (error) => logger.warn({ err: error, folder }, 'cannot watch this folder any longer'));
    watchers.push(watcher);
  }
  logger.info({ folders }, 'watching for changes (--watch)');
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}

/**
 * Everything the table needs from one release, read from the mirror: the
 * PDK surface in each nginx subsystem and the plugin-server host.
 *
 * @module
 */
import type { GitMirror } from './git-mirror.ts';
import { hostFacts, type HostFacts } from './host-rpc.ts';
import { pdkSurface, type PdkSurface } from './pdk-surface.ts';

/** One release, analysed. */
export interface ReleaseSnapshot {
  readonly release: string;
  readonly http: PdkSurface;
  readonly stream: PdkSurface;
  readonly host: HostFacts;
  /** `@function kong.*` names of the release's doc comments, to compare with what the code defines. */
  readonly documented: ReadonlySet<string>;
}

const PDK_DIR = 'kong/pdk';
const HOST_DIR = 'kong/runloop/plugin_servers';

/** Reads and analyses one release (a tag, or `master`). */
export async function snapshotOf(mirror: GitMirror, release: string): Promise<ReleaseSnapshot> {
  const paths = [...mirror.listFiles(release, PDK_DIR), ...mirror.listFiles(release, HOST_DIR)].filter((p) => p.endsWith('.lua'));
  const sources = new Map<string, string>();
  await Promise.all(
    paths.map(async (p) => {
      const text = await mirror.read(release, p);
      if (text !== undefined) sources.set(p, text);
    }),
  );
  const read = (p: string): string | undefined => sources.get(p);
  const hostFiles = new Map([...sources].filter(([p]) => p.startsWith(`${HOST_DIR}/`)).map(([p, s]) => [p.slice(HOST_DIR.length + 1), s]));
  const documented = new Set<string>();
  for (const [p, s] of sources) {
    if (p.startsWith(`${PDK_DIR}/`)) for (const m of s.matchAll(/@function\s+(kong\.[\w.]+)/g)) documented.add(m[1] as string);
  }
  try {
    return { release, http: pdkSurface(read, 'http'), stream: pdkSurface(read, 'stream'), host: hostFacts(hostFiles), documented };
  } catch (err) {
    throw new Error(`Kong ${release}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The Kong releases the table covers: final release tags (`x.y.z`, no
 * `-rc`, `-beta`, `-alpha`, no four-part tags) from 2.3.0 on, oldest first,
 * then `master`.
 *
 * @module
 */

/** The oldest release tspdk supports: the first with `pluginserver_names`. */
export const OLDEST = '2.3.0';

/** Release tags from {@link OLDEST} on, in version order, with `master` appended. */
export function releasesOf(tags: readonly string[]): string[] {
  const finals = tags.filter((t) => /^\d+\.\d+\.\d+$/.test(t) && compareVersions(t, OLDEST) >= 0);
  return [...finals.sort(compareVersions), 'master'];
}

/** Orders `x.y.z` strings numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * `npm run kong-pdk-table -- [--mirror DIR] [--out FILE] [--check]`:
 * regenerates `pdk/availability.generated.ts` from a local git mirror of
 * github.com/Kong/kong, or with `--check` tells whether the committed file
 * is what the mirror gives (exit status 1 when not).
 *
 * Progress and a summary go to stderr.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildTable } from './build-table.ts';
import { GitMirror, MIRROR_HINT } from './git-mirror.ts';
import { releasesOf } from './releases.ts';
import { renderTable } from './render.ts';
import { snapshotOf, type ReleaseSnapshot } from './snapshot.ts';
import { summarize } from './summary.ts';

const DEFAULT_MIRROR = '/work/.mirror/Kong+kong/repo';
const REPOSITORY = 'https://github.com/Kong/kong';
/** The repository root: this file runs as dist/scripts/kong-pdk-table/main.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const USAGE = `usage: npm run kong-pdk-table -- [--mirror DIR] [--out FILE] [--check]

  --mirror DIR  a git mirror of ${REPOSITORY} (default: $KONG_GIT_MIRROR, else ${DEFAULT_MIRROR})
  --out FILE    where to write the table (default: pdk/availability.generated.ts)
  --check       do not write: exit 1 when the file differs from what the mirror gives

${MIRROR_HINT}`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { mirror: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help === true) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const mirror = GitMirror.open(values.mirror ?? process.env['KONG_GIT_MIRROR'] ?? DEFAULT_MIRROR);
  const out = resolve(values.out ?? resolve(ROOT, 'pdk/availability.generated.ts'));
  const snapshots: ReleaseSnapshot[] = [];
  try {
    for (const release of releasesOf(mirror.tags())) {
      process.stderr.write(`reading Kong ${release}\n`);
      snapshots.push(await snapshotOf(mirror, release));
    }
  } finally {
    mirror.close();
  }
  const commit = mirror.commitOf('master') as string;
  const meta = /major\s*=\s*(\d+),\s*minor\s*=\s*(\d+),\s*patch\s*=\s*(\d+)/.exec(mirror.git('show', 'master:kong/meta.lua'));
  const version = meta === null ? 'unknown' : `${meta[1]}.${meta[2]}.${meta[3]}`;
  const table = buildTable(snapshots, { repository: REPOSITORY, master: { commit, date: mirror.dateOf(commit), version } });
  process.stderr.write(summarize(table, snapshots));
  const text = renderTable(table);
  if (values.check === true) {
    const current = readFileSync(out, 'utf8');
    process.stderr.write(current === text ? `${out} is up to date\n` : `${out} differs from what the mirror gives: run without --check\n`);
    return current === text ? 0 : 1;
  }
  writeFileSync(out, text);
  process.stderr.write(`wrote ${out}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kong-pdk-table: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * The peer socket directory of a primary: a primary that starts removes the
 * directories that primaries killed before they could clean up left behind,
 * and nothing else.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPeerDirectory } from '../../server/cluster/peer-directory.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { tempDirectory } from '../support/server.ts';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('peer directory', () => {
  const root = tempDirectory('tspdk-peer-root-');
  after(() => rmSync(root, { recursive: true, force: true }));

  it('removes the directories of primaries that are gone, and only those', () => {
    const dead = deadPid();
    const stale = join(root, `tspdk-peers-${dead}-aB3dEf`);
    mkdirSync(stale);
    writeFileSync(join(stale, 'w0.sock'), '');
    const live = join(root, `tspdk-peers-${process.ppid}-xYz123`);
    mkdirSync(live);
    const target = join(root, 'kept');
    mkdirSync(target);
    const link = join(root, `tspdk-peers-${dead}-link01`);
    symlinkSync(target, link);
    const file = join(root, `tspdk-peers-${dead}-file01`);
    writeFileSync(file, 'not a directory');
    const other = join(root, `tspdk-${dead}`);
    mkdirSync(other);

    const created = createPeerDirectory(silentLogger(), root);

    assert.match(basename(created), new RegExp(`^tspdk-peers-${process.pid}-`));
    assert.equal(statSync(created).mode & 0o777, 0o700);
    assert.equal(existsSync(stale), false, 'the dead primary’s directory is removed');
    for (const kept of [live, target, link, file, other]) assert.ok(existsSync(kept), `${basename(kept)} is kept`);
    // A second primary keeps the first one's (it is running: this process).
    const second = createPeerDirectory(silentLogger(), root);
    assert.ok(existsSync(created) && existsSync(second));
  });
});

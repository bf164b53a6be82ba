/**
 * The server's `--kong-version`: the check it makes of each PDK call
 * (built once, from the table of PDK functions), and the line it logs at
 * start to say whether calls are checked, and against what.
 *
 * @module
 */
import type { Logger } from 'pino';
import { KongVersionCheck, resolveKongVersion } from '../../pdk/version-check.ts';

/**
 * The check of PDK calls for `kongVersion`; undefined when no version is
 * set (calls go to Kong as they are).
 * @throws {@link KongVersionError} for a version the table cannot check against (not 2.3 or later, a line Kong never released).
 */
export function kongVersionCheck(kongVersion: string | undefined): KongVersionCheck | undefined {
  return kongVersion === undefined ? undefined : new KongVersionCheck(resolveKongVersion(kongVersion));
}

/**
 * Logs, once per server, whether PDK calls are checked against a Kong
 * version: at `info` when they are or when no version is set, at `warn`
 * when the version is checked as another one (newer than the table: as
 * master).
 * @throws {@link KongVersionError} as {@link kongVersionCheck} does.
 */
export function announceKongVersion(logger: Logger, kongVersion: string | undefined): void {
  const check = kongVersionCheck(kongVersion);
  if (check === undefined) {
    logger.info(
      { kongVersion: null },
      'Kong version checks are off: a PDK call the running Kong lacks is answered by Kong (with nil, after it logs "could not find pdk method"); ' +
        'start with --kong-version <x.y> to have such calls rejected at once with PDK_UNAVAILABLE',
    );
    return;
  }
  const { version } = check;
  if (version.warning !== undefined) logger.warn({ kongVersion: version.text, checkedAs: version.checkedAs }, version.warning);
  logger.info(
    { kongVersion: version.text, checkedAs: version.checkedAs, releases: version.releases },
    `PDK calls are checked against Kong ${version.text}: a function it lacks rejects at once with PDK_UNAVAILABLE`,
  );
}

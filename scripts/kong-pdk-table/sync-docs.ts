/**
 * `npm run kong-pdk-table:docs [-- --check]`: writes the table's `since`
 * facts into the `@since` tags of the PDK bindings and the per-method table
 * of docs/pdk.md; with `--check`, changes nothing and exits 1 when either
 * is out of date. Needs no Kong mirror: it reads the committed table.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pdkTable } from '../../pdk/availability.ts';
import { bindingMethods } from './bindings.ts';
import { renderSinceSection, replaceSection, withSinceTags } from './since-docs.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function main(): number {
  const check = process.argv.includes('--check');
  const methods = bindingMethods(ROOT);
  const stale: string[] = [];
  const update = (path: string, next: string): void => {
    if (readFileSync(path, 'utf8') === next) return;
    stale.push(path);
    if (!check) writeFileSync(path, next);
  };
  for (const file of new Set(methods.map((m) => m.file))) {
    const path = join(ROOT, file);
    update(path, withSinceTags(readFileSync(path, 'utf8'), methods.filter((m) => m.file === file), pdkTable));
  }
  const docPath = join(ROOT, 'docs/pdk.md');
  update(docPath, replaceSection(readFileSync(docPath, 'utf8'), renderSinceSection(methods, pdkTable)));
  process.stderr.write(stale.length === 0 ? 'since tags and docs/pdk.md agree with the table\n' : `${check ? 'out of date' : 'updated'}: ${stale.join(', ')}\n`);
  return check && stale.length > 0 ? 1 : 0;
}

process.exit(main());

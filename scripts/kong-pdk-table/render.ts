/**
 * Writes the table as a TypeScript module (`pdk/availability.generated.ts`):
 * a header saying how it was made, then the data, one line per function.
 *
 * @module
 */
import type { KongPdkTable } from '../../pdk/availability.ts';

/** The module text for `table`. */
export function renderTable(table: KongPdkTable): string {
  const releases = table.releases.filter((r) => r !== 'master');
  const { commit, date, version } = table.source.master;
  const lines = [
    '/**',
    ' * GENERATED FILE, do not edit: `npm run kong-pdk-table -- --mirror <git mirror of Kong>`',
    ' * (scripts/kong-pdk-table/README.md says how each fact is read).',
    ' *',
    ` * Read from ${table.source.repository}: the ${releases.length} final release tags`,
    ` * ${releases[0] ?? ''} … ${releases.at(-1) ?? ''} and master at ${commit}`,
    ` * (${date}, kong/meta.lua ${version}); kong/pdk and kong/runloop/plugin_servers of each.`,
    ' *',
    ' * @module',
    ' */',
    "import type { KongPdkTable } from './availability.ts';",
    '',
    '/** Which Kong release has which PDK function over MsgPack:1; read it through `availability.ts`. */',
    'export const kongPdkTable: KongPdkTable = {',
    `  source: ${JSON.stringify(table.source)},`,
    `  releases: ${JSON.stringify(table.releases)},`,
    '  host: [',
    ...table.host.map((era) => `    ${JSON.stringify(era)},`),
    '  ],',
    '  functions: {',
    ...Object.entries(table.functions).map(([name, record]) => `    ${JSON.stringify(name)}: ${JSON.stringify(record)},`),
    '  },',
    '};',
    '',
  ];
  return lines.join('\n');
}

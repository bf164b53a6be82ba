/**
 * `tspdk schema lua|json|diff`: the schema tools of `docs/schema.md`, fed
 * from plugin modules or from JSON (a `-dump` output, a plugin info or a bare
 * schema; `-` reads stdin).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  parsePluginSchema,
  schemaDiffCommand,
  schemaJsonCommand,
  schemaLuaCommand,
  type CommandResult,
  type KongPluginSchema,
  type PluginSchemaSource,
} from '../schema/index.ts';
import { loadForTool, noPluginFound } from './load.ts';
import { CliError, printResult } from './output.ts';
import { selectPlugins } from './serve.ts';

/** Options shared by the schema subcommands. */
interface SchemaOptions {
  readonly plugin?: string;
  readonly json?: boolean;
}

function isJsonInput(path: string): boolean {
  return path === '-' || path.endsWith('.json');
}

/** Reads one plugin's schema from a JSON file or from plugin modules. */
async function schemaInput(path: string, plugin: string | undefined, generation?: number): Promise<KongPluginSchema | PluginSchemaSource> {
  if (isJsonInput(path)) {
    try {
      return parsePluginSchema(readFileSync(path === '-' ? 0 : path, 'utf8'), plugin);
    } catch (error) {
      throw new CliError(`${path}: ${(error as Error).message}`, 2);
    }
  }
  const loaded = await loadForTool([path], generation === undefined ? {} : { generation });
  const plugins = selectPlugins(loaded.plugins, plugin === undefined ? [] : [plugin]);
  const [found, ...others] = plugins;
  if (found === undefined) throw noPluginFound([path], loaded, 2);
  if (others.length > 0) throw new CliError(`${path} declares ${plugins.length} plugins; pick one with --plugin`, 2);
  const { definition } = found;
  return { name: definition.name, config: definition.configSchema, ...(definition.scope === undefined ? {} : { scope: definition.scope }) };
}

async function finish(result: CommandResult): Promise<void> {
  if (result.stderr !== undefined && result.stderr !== '') process.stderr.write(result.stderr);
  await printResult(result.stdout);
  process.exitCode = result.exitCode;
}

/** The `schema` command and its subcommands. */
export function schemaCommand(): Command {
  const schema = new Command('schema').description("a plugin's config schema: Konnect's schema.lua, the dump's JSON, and changes between versions");
  schema
    .command('lua')
    .description('print the Konnect-ready schema.lua of a plugin')
    .argument('<path>', 'a plugin module or directory, or a JSON dump (- for stdin)')
    .option('--plugin <name>', 'the plugin, when the input holds several')
    .action(async (path: string, options: SchemaOptions) => finish(schemaLuaCommand(await schemaInput(path, options.plugin))));
  schema
    .command('json')
    .description("print the schema that the plugin's dump carries")
    .argument('<path>', 'a plugin module or directory, or a JSON dump (- for stdin)')
    .option('--plugin <name>', 'the plugin, when the input holds several')
    .action(async (path: string, options: SchemaOptions) => finish(schemaJsonCommand(await schemaInput(path, options.plugin))));
  schema
    .command('diff')
    .description("classify the changes between two versions of a plugin's schema by Konnect's upgrade paths (exit 1: needs a maintenance window)")
    .argument('<old>', 'the old version: JSON dump or schema file, or plugin module')
    .argument('<new>', 'the new version: JSON dump or schema file, or plugin module')
    .option('--plugin <name>', 'the plugin, when the inputs hold several')
    .option('--json', 'print JSON for pipelines', false)
    .action(async (before: string, after: string, options: SchemaOptions) => {
      const a = await schemaInput(before, options.plugin);
      const b = await schemaInput(after, options.plugin, 1);
      await finish(schemaDiffCommand(a, b, { json: options.json === true }));
    });
  return schema;
}

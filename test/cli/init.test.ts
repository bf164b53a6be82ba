/**
 * `tspdk init`: the files of a new project, the names they use, and a
 * Dockerfile whose KONG_* variables are what `tspdk kong-conf` prints for the
 * same plugin at the image's paths. test/packaging/packaging.slow.test.ts
 * installs such a project from a packed tarball and runs its `npm test`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { projectNames } from '../../cli/init/names.ts';
import { CLI, ROOT, runCli, Scratch } from './support.ts';

/** The `ENV` instruction of a Dockerfile as `[name, value]` pairs (double-quoted values, line continuations). */
export function dockerEnv(dockerfile: string): Array<[string, string]> {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').find((text) => text.startsWith('ENV '));
  assert.ok(line !== undefined, 'the Dockerfile has an ENV instruction');
  return [...line.slice(4).matchAll(/([A-Z0-9_]+)="((?:[^"\\]|\\.)*)"/g)].map((match) => [match[1] as string, (match[2] as string).replace(/\\(.)/g, '$1')]);
}

describe('tspdk init', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  it('writes a project named after its directory: package.json, tsconfig, plugin, test, .gitignore, Dockerfile, README', () => {
    const directory = join(scratch.directory(), 'rate-guard');
    const result = runCli(['init', directory]);
    assert.equal(result.status, 0, result.stderr);
    for (const file of ['package.json', 'tsconfig.json', 'src/rate-guard.ts', 'test/rate-guard.test.ts', '.gitignore', 'Dockerfile', 'README.md']) {
      assert.match(result.stdout, new RegExp(`  ${file.replace('.', '\\.')}\\n`), file);
    }
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as Record<string, Record<string, string> & string>;
    assert.equal(manifest['type'], 'module');
    assert.equal(manifest['name'], 'rate-guard');
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(manifest['dependencies']?.['tspdk'], `^${version}`);
    const scripts = manifest['scripts'] as unknown as Record<string, string>;
    for (const script of ['build', 'test', 'dev', 'serve']) assert.equal(typeof scripts[script], 'string', script);
    // Files, not a folder, so that Node 20, 22 and 24 all run them.
    assert.match(scripts['test'] ?? '', /node --test dist\/test\/\*\.test\.js$/);
    assert.match(scripts['dev'] ?? '', /tspdk serve dist\/src\/rate-guard\.js --watch .*--log-format pretty/);
    const source = readFileSync(join(directory, 'src', 'rate-guard.ts'), 'utf8');
    assert.match(source, /export class RateGuard extends Config\(\{/);
    assert.match(source, /serve\(RateGuard, \{ name: 'rate-guard', version: '0\.1\.0', priority: 1000 \}\)/);
    const tsconfig = JSON.parse(readFileSync(join(directory, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    assert.equal(tsconfig.compilerOptions['rewriteRelativeImportExtensions'], true);
    assert.equal(tsconfig.compilerOptions['module'], 'NodeNext');
    assert.match(readFileSync(join(directory, 'test', 'rate-guard.test.ts'), 'utf8'), /from 'tspdk\/testing'/);
  });

  it('copies a tspdk tarball into vendor/ (the Docker build context) and depends on it there', () => {
    const tarball = join(scratch.directory(), 'tspdk-9.9.9.tgz');
    writeFileSync(tarball, 'not really a tarball');
    const directory = join(scratch.directory(), 'p');
    const result = runCli(['init', directory, '--name', 'my_plugin', '--tspdk', tarball]);
    assert.equal(result.status, 0, result.stderr);
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(manifest.dependencies['tspdk'], 'file:vendor/tspdk-9.9.9.tgz');
    assert.equal(readFileSync(join(directory, 'vendor', 'tspdk-9.9.9.tgz'), 'utf8'), 'not really a tarball');
    assert.match(readFileSync(join(directory, 'Dockerfile'), 'utf8'), /^COPY vendor\/ vendor\/$/m);
    assert.match(readFileSync(join(directory, 'src', 'my_plugin.ts'), 'utf8'), /class MyPlugin /);
  });

  it('refuses a directory that is not empty, and a name Kong would refuse, saying what to do', () => {
    const busy = scratch.directory();
    writeFileSync(join(busy, 'keep.txt'), 'x');
    const refused = runCli(['init', busy]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /already exists and is not an empty directory: pick a new directory/);
    const badName = runCli(['init', join(scratch.directory(), 'Bad Name')]);
    assert.equal(badName.status, 2);
    assert.match(badName.stderr, /Kong plugin names are lower case letters, digits, "-" and "_".*--name/);
  });

  it("sets in its Dockerfile the variables `tspdk kong-conf` prints for the plugin at the image's paths", () => {
    const project = join(scratch.directory(), 'edge-auth');
    assert.equal(runCli(['init', project]).status, 0);
    const names = projectNames('edge-auth');
    const fromDockerfile = dockerEnv(readFileSync(join(project, 'Dockerfile'), 'utf8'));

    // The plugin as it is built in the image: dist/src/<name>.js, with tspdk in node_modules.
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'tspdk'), 'dir');
    mkdirSync(join(project, 'dist', 'src'), { recursive: true });
    writeFileSync(
      join(project, 'dist', 'src', 'edge-auth.js'),
      "import { Config, field, serve } from 'tspdk';\nclass E extends Config({ a: field.string({ default: 'a' }) }) { access() {} }\nserve(E, { name: 'edge-auth', version: '0.1.0', priority: 1000 });\n",
    );
    const conf = runCli(['kong-conf', join(project, 'dist', 'src', 'edge-auth.js'), '--layout', 'per-plugin', '--format', 'env', '--node', '/usr/local/bin/node']);
    assert.equal(conf.status, 0, conf.stderr);
    const inImage = (text: string): string => text.replaceAll(CLI, `${names.imageRoot}/node_modules/tspdk/dist/cli/main.js`).replaceAll(project, names.imageRoot);
    const fromKongConf = conf.stdout
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .map((line): [string, string] => [line.slice(0, line.indexOf('=')), inImage(line.slice(line.indexOf('=') + 1))]);
    assert.deepEqual(fromDockerfile, fromKongConf);
    assert.deepEqual(
      fromDockerfile.map(([name]) => name),
      ['KONG_PLUGINS', 'KONG_PLUGINSERVER_NAMES', 'KONG_PLUGINSERVER_EDGE_AUTH_SOCKET', 'KONG_PLUGINSERVER_EDGE_AUTH_START_CMD', 'KONG_PLUGINSERVER_EDGE_AUTH_QUERY_CMD'],
    );
  });

  it('builds FROM the official Kong image (a build argument) with Node copied from the official Node image', () => {
    const project = join(scratch.directory(), 'x');
    assert.equal(runCli(['init', project]).status, 0);
    const dockerfile = readFileSync(join(project, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^ARG KONG_IMAGE=kong:3\.9$/m);
    assert.match(dockerfile, /^FROM \$\{KONG_IMAGE\}$/m);
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    assert.match(dockerfile, /^COPY --from=build \/usr\/local\/bin\/node \/usr\/local\/bin\/node$/m);
    assert.match(dockerfile, /^COPY --from=build --chown=kong:0 \/build\/dist\/src \/opt\/kong-plugins\/x\/dist\/src$/m);
    assert.match(dockerfile, /^USER kong$/m);
  });
});

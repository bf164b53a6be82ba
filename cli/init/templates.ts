/**
 * The files of a new plugin project (`tspdk init`), as text: package.json,
 * tsconfig.json, the plugin, its test, .gitignore and a README. The
 * Dockerfile is in dockerfile.ts.
 *
 * @module
 */
import type { ProjectNames } from './names.ts';

/** What the templates are filled with. */
export interface TemplateInput {
  readonly names: ProjectNames;
  /** The npm spec of the tspdk dependency (`^0.1.0`, `file:vendor/tspdk-0.1.0.tgz`, …). */
  readonly tspdkSpec: string;
  /** The TypeScript the project builds with (an npm range). */
  readonly typescript: string;
  /** @types/node for the project (an npm range). */
  readonly typesNode: string;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** package.json: an ES module project whose test script works on Node 20, 22 and 24. */
export function packageJson(input: TemplateInput): string {
  const { plugin } = input.names;
  const file = `dist/src/${plugin}.js`;
  return json({
    name: plugin,
    version: '0.1.0',
    private: true,
    description: `The ${plugin} Kong plugin, written in TypeScript with tspdk`,
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      // Files, not a folder: Node 22+ reads `node --test <arg>` as a glob, Node 20 as a path; the shell expands this for both.
      test: 'tsc -p tsconfig.json && node --test dist/test/*.test.js',
      dev: `tsc -p tsconfig.json && mkdir -p .kong && (tsc -p tsconfig.json --watch --preserveWatchOutput & tspdk serve ${file} --watch --kong-prefix .kong --log-format pretty)`,
      serve: `tspdk serve ${file}`,
      dump: `tspdk dump ${file}`,
      'kong-conf': `tspdk kong-conf ${file}`,
    },
    dependencies: { tspdk: input.tspdkSpec },
    devDependencies: { '@types/node': input.typesNode, typescript: input.typescript },
  });
}

/** tsconfig.json: what tspdk's types need (NodeNext, ES2022, strict), tests importing `../src/x.ts`, source maps. */
export function tsconfig(): string {
  return json({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      rewriteRelativeImportExtensions: true,
      verbatimModuleSyntax: true,
      rootDir: '.',
      outDir: 'dist',
      sourceMap: true,
    },
    include: ['src', 'test'],
  });
}

/** src/<name>.ts: a plugin with a config, a phase and PDK calls. */
export function pluginSource({ names }: TemplateInput): string {
  return `import { Config, field, serve, type Kong } from 'tspdk';

/**
 * The ${names.plugin} plugin. Its fields are its config (Kong checks it against the schema
 * they make); its methods named after Kong phases run for each request.
 */
export class ${names.className} extends Config({
  header: field.string({ default: 'X-${names.className}', description: 'The response header this plugin sets.' }),
  required_header: field.string({ description: 'When set, requests without this header are refused with 401.' }),
}) {
  async access(kong: Kong): Promise<void> {
    if (this.required_header !== undefined && (await kong.request.getHeader(this.required_header)) === undefined) {
      return kong.response.exit(401, { message: \`\${this.required_header} is required\` });
    }
    const path = await kong.request.getPath();
    await kong.response.setHeader(this.header, \`${names.plugin} saw \${path}\`);
  }
}

export default serve(${names.className}, { name: '${names.plugin}', version: '0.1.0', priority: 1000 });
`;
}

/** test/<name>.test.ts: the plugin through simulated requests, and through the real server over a socket. */
export function testSource({ names }: TemplateInput): string {
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPlugin, startPluginServer } from 'tspdk/testing';
import plugin, { ${names.className} } from '../src/${names.plugin}.ts';

test('sets its header on the response', async () => {
  const { response } = await runPlugin(${names.className}, {}, { path: '/hello' });
  assert.equal(response.status, 200);
  assert.equal(response.header('X-${names.className}'), '${names.plugin} saw /hello');
});

test('refuses a request without the required header, which never reaches the Service', async () => {
  const { response, serviceRequest } = await runPlugin(${names.className}, { required_header: 'x-token' });
  assert.equal(response.status, 401);
  assert.deepEqual(response.json(), { message: 'x-token is required' });
  assert.equal(serviceRequest, undefined);
});

test('lets a request with the required header through', async () => {
  const { response } = await runPlugin(${names.className}, { required_header: 'x-token' }, { headers: { 'x-token': 'yes' } });
  assert.equal(response.status, 200);
});

test('rejects an invalid config as Kong would', async () => {
  await assert.rejects(runPlugin(${names.className}, { header: '' }), /config\\.header: length must be at least 1/);
});

test('works over the wire, through the real plugin server', async () => {
  const server = await startPluginServer([plugin]);
  try {
    const { response } = await server.request(plugin, { header: 'x-wire' }, { path: '/wire' });
    assert.equal(response.header('x-wire'), '${names.plugin} saw /wire');
  } finally {
    await server.close();
  }
});
`;
}

/** .gitignore. */
export function gitignore(): string {
  return 'node_modules/\ndist/\n.kong/\n';
}

/** README.md of the new project. */
export function readme({ names }: TemplateInput): string {
  const { plugin } = names;
  return `# ${plugin}

A Kong Gateway plugin written in TypeScript with [tspdk](https://www.npmjs.com/package/tspdk).

\`\`\`sh
npm install
npm test                  # compiles, then runs test/*.test.ts (simulated requests, and the real server over a socket)
npm run dev               # recompiles on change and serves on .kong/${plugin}.socket, reloading the code (pretty logs)
npm run dump              # the plugin info Kong reads at start
npm run kong-conf         # the kong.conf lines (and KONG_* variables) that make Kong run it
\`\`\`

- \`src/${plugin}.ts\`: the plugin. Its config is the class's fields, its phases are its methods.
- \`test/${plugin}.test.ts\`: its tests, with \`tspdk/testing\`.
- \`Dockerfile\`: the official Kong image with Node and this plugin, configured to run it:

\`\`\`sh
docker build -t kong-${plugin} .                                   # FROM kong:3.9
docker build --build-arg KONG_IMAGE=kong:3.8 -t kong-${plugin} .    # another Kong
docker run --rm -e KONG_DATABASE=off -p 8000:8000 kong-${plugin}
\`\`\`

Debugging: \`node --enable-source-maps --inspect dist/src/${plugin}.js -kong-prefix .kong\` serves the plugin
with a debugger attached (chrome://inspect) and stack traces pointing at \`src/${plugin}.ts\`.
`;
}

/**
 * The Dockerfile of a new plugin project: the official Kong image with Node
 * and the built plugin, and the `KONG_*` variables that make Kong run it.
 *
 * Node comes from the official Node image (`node:<major>-bookworm-slim`),
 * copied from the build stage: it is the binary nodejs.org publishes, which
 * needs only glibc 2.28+ and libstdc++, both in every Kong 3.x image (Debian
 * and Ubuntu based). That way the Kong image needs no package repository,
 * no curl or xz, and no signing keys, and the plugin runs on the Node it
 * was built and tested with. (NodeSource would add an apt repository and
 * its key to the Kong image, as root, for the same binary.)
 *
 * The variables are those of `tspdk kong-conf`'s per-plugin layout for the
 * paths inside the image, so that they and the command's output never differ.
 *
 * @module
 */
import { kongConfLayouts, layoutEnvironment } from '../kong-conf.ts';
import type { ProjectNames } from './names.ts';

/** Kong's image by default (a build argument). */
export const DEFAULT_KONG_IMAGE = 'kong:3.9';
/** The Node major the image runs. */
export const IMAGE_NODE_MAJOR = 20;
/** Where Node is in the image. */
export const IMAGE_NODE = '/usr/local/bin/node';
/** Kong's prefix in its images. */
const KONG_PREFIX = '/usr/local/kong';

/** The `KONG_*` variables of the image, in order. */
export function imageEnvironment(names: ProjectNames): Array<[string, string]> {
  const [layout] = kongConfLayouts({
    plugins: [{ name: names.plugin, file: `${names.imageRoot}/dist/src/${names.plugin}.js` }],
    prefix: KONG_PREFIX,
    node: IMAGE_NODE,
    cli: `${names.imageRoot}/node_modules/tspdk/dist/cli/main.js`,
    layout: 'per-plugin',
  });
  if (layout === undefined) throw new Error('the per-plugin layout is missing');
  return layoutEnvironment(layout);
}

/** A Dockerfile ENV value, quoted. */
function quoted(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '\\$')}"`;
}

/** The Dockerfile; `vendored` when the tspdk tarball is in vendor/ (it must be in the build context). */
export function dockerfile(names: ProjectNames, vendored: boolean): string {
  const env = imageEnvironment(names)
    .map(([name, value]) => `${name}=${quoted(value)}`)
    .join(' \\\n    ');
  return `# syntax=docker/dockerfile:1
# Kong with the ${names.plugin} plugin: the official Kong image, Node, and the built plugin.
#   docker build -t kong-${names.plugin} .
#   docker build --build-arg KONG_IMAGE=kong:3.8 -t kong-${names.plugin} .
# Node is copied from the official Node image of the build stage: the binary nodejs.org publishes,
# which runs on every Kong 3.x image (glibc 2.28+), with no package repository added to Kong's image.
ARG KONG_IMAGE=${DEFAULT_KONG_IMAGE}
ARG NODE_IMAGE=node:${IMAGE_NODE_MAJOR}-bookworm-slim

FROM \${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json* ./
${vendored ? 'COPY vendor/ vendor/\n' : ''}RUN if [ -f package-lock.json ]; then npm ci; else npm install; fi
COPY tsconfig.json ./
COPY src/ src/
COPY test/ test/
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM \${KONG_IMAGE}
USER root
COPY --from=build /usr/local/bin/node ${IMAGE_NODE}
COPY --from=build --chown=kong:0 /build/package.json ${names.imageRoot}/package.json
COPY --from=build --chown=kong:0 /build/node_modules ${names.imageRoot}/node_modules
COPY --from=build --chown=kong:0 /build/dist/src ${names.imageRoot}/dist/src
USER kong
# What \`tspdk kong-conf ${names.imageRoot}/dist/src/${names.plugin}.js --layout per-plugin --format env --node ${IMAGE_NODE}\` prints in the image.
ENV ${env}
`;
}

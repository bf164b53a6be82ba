/**
 * The names a new plugin project is built from: the plugin's name in Kong,
 * its class name, and the paths of its files in the project and in the
 * container image.
 *
 * @module
 */

/** Kong's rule for plugin names (plugin/definition.ts checks the same). */
const PLUGIN_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** The names of one new plugin project. */
export interface ProjectNames {
  /** The plugin's name in Kong, also the package name and the file name. */
  readonly plugin: string;
  /** The config class's name (`my-plugin` → `MyPlugin`). */
  readonly className: string;
  /** Where the image keeps the project (`/opt/kong-plugins/<name>`). */
  readonly imageRoot: string;
}

/**
 * The names for plugin `name`.
 * @throws {@link Error} saying what a plugin name may hold, when `name` breaks Kong's rule.
 */
export function projectNames(name: string): ProjectNames {
  if (!PLUGIN_NAME.test(name)) {
    throw new Error(
      `cannot name a plugin ${JSON.stringify(name)}: Kong plugin names are lower case letters, digits, "-" and "_", ` +
        'starting with a letter or digit (pass one with --name)',
    );
  }
  const words = name.split(/[-_]+/).filter((word) => word !== '');
  const className = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  return { plugin: name, className: /^[0-9]/.test(className) ? `Plugin${className}` : className, imageRoot: `/opt/kong-plugins/${name}` };
}

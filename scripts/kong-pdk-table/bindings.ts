/**
 * The binding methods of tspdk's PDK classes (`pdk/**.ts`), read with the
 * TypeScript compiler: for each public method, the Lua function it calls
 * and its doc comment, so that docs and `@since` tags can be checked
 * against the availability table and rewritten from it.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One binding method. */
export interface BindingMethod {
  /** Path of the file, relative to the repository root. */
  readonly file: string;
  readonly className: string;
  readonly methodName: string;
  /** The Lua function the method stands for: the one its doc comment opens with, else the only one it calls. */
  readonly luaName: string;
  /** Every Lua name the method's body passes to `ask`. */
  readonly calls: readonly string[];
  /** The text of its `@since` tag, if any. */
  readonly since: string | undefined;
  /** Where its doc comment starts and ends in the file (character offsets); undefined without one. */
  readonly doc: { readonly start: number; readonly end: number } | undefined;
}

/** Files of the PDK that hold binding classes (not the tables, the types or generated data). */
export function bindingFiles(root: string): string[] {
  const dir = join(root, 'pdk');
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.generated.ts')) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** Every binding method of every binding file under `root`. */
export function bindingMethods(root: string): BindingMethod[] {
  return bindingFiles(root).flatMap((path) => methodsOf(relative(root, path), readFileSync(path, 'utf8')));
}

/** The binding methods of one file: public methods of exported classes whose body calls `ask` with a `kong.*` name. */
export function methodsOf(file: string, text: string): BindingMethod[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: BindingMethod[] = [];
  for (const statement of source.statements) {
    if (!ts.isClassDeclaration(statement) || statement.name === undefined) continue;
    for (const member of statement.members) {
      if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name) || member.body === undefined) continue;
      const calls = askedNames(member.body);
      if (calls.length === 0) continue;
      // With overloads, the doc comment sits on the first signature.
      const docNode = statement.members
        .filter((o) => ts.isMethodDeclaration(o) && o.name.getText(source) === member.name.getText(source))
        .map((o) => ts.getJSDocCommentsAndTags(o).find(ts.isJSDoc))
        .find((d) => d !== undefined);
      const docText = docNode === undefined ? '' : text.slice(docNode.getStart(source), docNode.getEnd());
      const opening = /`(kong\.[a-z_.]+)[(`[]/.exec(docText)?.[1];
      const luaName = opening !== undefined && calls.includes(opening) ? opening : calls.length === 1 ? (calls[0] as string) : undefined;
      if (luaName === undefined) throw new Error(`${file}: ${statement.name.text}.${member.name.text} calls ${calls.join(', ')}; its doc comment must open with the one it stands for`);
      out.push({
        file,
        className: statement.name.text,
        methodName: member.name.text,
        luaName,
        calls,
        since: /@since\s+([^\n]*?)\s*(?:\n|\*\/)/.exec(docText)?.[1],
        doc: docNode === undefined ? undefined : { start: docNode.getStart(source), end: docNode.getEnd() },
      });
    }
  }
  return out;
}

/** The distinct `kong.*` string literals passed as the third argument of `ask(…)` calls in a body. */
function askedNames(body: ts.Node): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'ask') {
      const name = node.arguments[2];
      if (name !== undefined && ts.isStringLiteral(name) && name.text.startsWith('kong.') && !names.includes(name.text)) names.push(name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
  return names;
}

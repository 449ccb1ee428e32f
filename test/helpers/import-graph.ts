/**
 * The import graph of a source tree, read with the TypeScript parser (static `import` and `export ... from`,
 * type-only ones included: a cycle of types is still a cycle for a reader), and its cycles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Every `.ts`/`.tsx` file under `dir` (relative to `root`), sorted; `skip` filters paths out. */
export function sourceFiles(root: string, dir: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(join(root, d)).sort()) {
      const path = join(d, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts') && !skip(path)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

export function parse(root: string, path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(join(root, path), 'utf8'), ts.ScriptTarget.Latest, true);
}

/** Relative imports of `path` (relative to `root`), resolved to paths relative to `root`. */
export function importsOf(root: string, path: string): string[] {
  const out: string[] = [];
  for (const statement of parse(root, path).statements) {
    const spec = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) ? statement.moduleSpecifier : undefined;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    out.push(relative(root, resolve(root, dirname(path), spec.text)));
  }
  return out;
}

/** The import graph of `files`, edges kept only between those files. */
export function importGraph(root: string, files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(files.map((f) => [f, importsOf(root, f).filter((to) => known.has(to))]));
}

/** Every strongly connected group of more than one file (or a file importing itself): Tarjan's algorithm. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Top-level `let`/`var` declarations of a file: module-level mutable state. */
export function topLevelMutables(root: string, path: string): string[] {
  const file = parse(root, path);
  const out: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const flags = statement.declarationList.flags;
    if (!(flags & ts.NodeFlags.Let) && (flags & ts.NodeFlags.Const || flags & ts.NodeFlags.Using)) continue;
    for (const d of statement.declarationList.declarations) {
      const line = file.getLineAndCharacterOfPosition(d.getStart()).line + 1;
      out.push(`${path}:${line} ${d.name.getText()}`);
    }
  }
  return out;
}

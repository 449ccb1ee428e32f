/**
 * Function sizes of a source file, read with the TypeScript parser: every function declaration, method,
 * constructor, accessor, function expression and arrow function with a block body, and how many lines it spans.
 */
import ts from 'typescript';
import { parse } from './import-graph.ts';

export interface FunctionSize {
  /** `path:line name`, the name being the declared name or the variable/property it is assigned to. */
  where: string;
  lines: number;
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) return node.name.text;
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    && ts.isIdentifier(parent.name)) return parent.name.text;
  return ts.isConstructorDeclaration(node) ? 'constructor' : '(anonymous)';
}

/** Every function-like node of `path` whose block body spans more than `limit` lines (braces included). */
export function longFunctions(root: string, path: string, limit: number): FunctionSize[] {
  const source = parse(root, path);
  const out: FunctionSize[] = [];
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line;
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body && ts.isBlock(node.body)) {
      const body = node.body;
      const lines = lineOf(body.getEnd()) - lineOf(body.getStart(source)) + 1;
      if (lines > limit) out.push({ where: `${path}:${lineOf(node.getStart(source)) + 1} ${nameOf(node)}`, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

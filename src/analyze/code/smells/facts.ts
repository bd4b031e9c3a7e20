/** What the smell detectors share about one file, gathered in one walk of its AST. */
import type { Smell, SmellKind } from '../../../core/analysis.js';
import { addBindings, type Binding, enclosingName, type FunctionLike, isFunctionLike, literalKeys, position, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';

export interface FileFacts {
  path: string;
  sf: TS.SourceFile;
  /** local name → the module it was imported or required from */
  bindings: Map<string, Binding>;
  /** every name declared anywhere in the file (variables, parameters, functions, classes, imports) */
  declared: Set<string>;
  calls: TS.CallExpression[];
  news: TS.NewExpression[];
  catches: TS.CatchClause[];
  functions: FunctionLike[];
  /** `const x = <initializer>` anywhere in the file, by name (several when the name is declared more than once) */
  initializers: Map<string, TS.Expression[]>;
}

export function gatherFacts(path: string, sf: TS.SourceFile): FileFacts {
  const t = typescript();
  const facts: FileFacts = { path, sf, bindings: new Map(), declared: new Set(), calls: [], news: [], catches: [], functions: [], initializers: new Map() };
  const declare = (name: TS.BindingName | TS.Identifier | undefined): void => {
    if (name === undefined) return;
    if (t.isIdentifier(name)) facts.declared.add(name.text);
    else for (const el of name.elements) if (!t.isOmittedExpression(el)) declare(el.name);
  };
  const visit = (node: TS.Node): void => {
    if (t.isCallExpression(node)) facts.calls.push(node);
    else if (t.isNewExpression(node)) facts.news.push(node);
    else if (t.isCatchClause(node)) facts.catches.push(node);
    else if (isFunctionLike(node)) {
      facts.functions.push(node);
      if ((t.isFunctionDeclaration(node) || t.isFunctionExpression(node)) && node.name) facts.declared.add(node.name.text);
      for (const p of node.parameters) declare(p.name);
    } else if (t.isVariableDeclaration(node)) {
      declare(node.name);
      addBindings(node, facts.bindings);
      if (node.initializer && t.isIdentifier(node.name)) {
        const list = facts.initializers.get(node.name.text) ?? [];
        list.push(node.initializer);
        facts.initializers.set(node.name.text, list);
      }
    } else if (t.isImportDeclaration(node) || t.isImportEqualsDeclaration(node)) {
      addBindings(node, facts.bindings);
      if (t.isImportEqualsDeclaration(node)) facts.declared.add(node.name.text);
      const c = t.isImportDeclaration(node) ? node.importClause : undefined;
      if (c?.name) facts.declared.add(c.name.text);
      const nb = c?.namedBindings;
      if (nb && t.isNamespaceImport(nb)) facts.declared.add(nb.name.text);
      if (nb && t.isNamedImports(nb)) for (const el of nb.elements) facts.declared.add(el.name.text);
    } else if (t.isClassDeclaration(node) && node.name) facts.declared.add(node.name.text);
    t.forEachChild(node, visit);
  };
  visit(sf);
  return facts;
}

export function smellAt(f: FileFacts, kind: SmellKind, recipe: string, node: TS.Node, message: string): Smell {
  const { line, col } = position(f.sf, node);
  const smell: Smell = { kind, path: f.path, line, col, message, recipe };
  const fn = enclosingName(f.sf, node);
  if (fn !== undefined) smell.fn = fn;
  return smell;
}

/**
 * The object literal an options argument stands for: the literal itself, or a `const` in the same file
 * initialised with one (when the name is declared once). Undefined when it cannot be known here.
 */
export function objectArg(f: FileFacts, e: TS.Expression | undefined): TS.ObjectLiteralExpression | undefined {
  const t = typescript();
  if (e === undefined) return undefined;
  e = skipOuter(e);
  if (t.isObjectLiteralExpression(e)) return e;
  if (t.isIdentifier(e)) {
    const inits = f.initializers.get(e.text);
    if (inits?.length === 1) {
      const init = skipOuter(inits[0] as TS.Expression);
      if (t.isObjectLiteralExpression(init)) return init;
    }
  }
  return undefined;
}

/** What an options argument says about some keys: present, absent, or unknown (not a literal, or it has a spread). */
export type KeyVerdict = 'present' | 'absent' | 'unknown';

export function hasAnyKey(f: FileFacts, e: TS.Expression | undefined, keys: readonly string[]): KeyVerdict {
  if (e === undefined) return 'absent';
  const obj = objectArg(f, e);
  if (obj === undefined) return 'unknown';
  const ks = literalKeys(f.sf, obj);
  if (ks === undefined) return 'unknown';
  return keys.some((k) => ks.has(k)) ? 'present' : 'absent';
}

/** Is the expression certainly not an options object (a string, a template, a number, a `new URL`)? */
export function isPlainValue(f: FileFacts, e: TS.Expression): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (t.isStringLiteralLike(e) || t.isTemplateExpression(e) || t.isNumericLiteral(e)) return true;
  if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.PlusToken) return isPlainValue(f, e.left) || isPlainValue(f, e.right);
  if (t.isNewExpression(e) && t.isIdentifier(e.expression) && e.expression.text === 'URL') return true;
  if (t.isIdentifier(e)) {
    const inits = f.initializers.get(e.text);
    if (inits?.length === 1) {
      const init = skipOuter(inits[0] as TS.Expression);
      return !t.isIdentifier(init) && isPlainValue(f, init);
    }
  }
  return false;
}

/** `.on('error', …)`-style listener calls: the receiver expression and the event name. */
export function listenerCall(c: TS.CallExpression): { target: TS.Expression; event: string } | undefined {
  const t = typescript();
  const callee = skipOuter(c.expression);
  if (!t.isPropertyAccessExpression(callee)) return undefined;
  if (!['on', 'once', 'addListener', 'prependListener', 'prependOnceListener'].includes(callee.name.text)) return undefined;
  const ev = c.arguments[0];
  if (ev === undefined || !t.isStringLiteralLike(ev)) return undefined;
  return { target: callee.expression, event: ev.text };
}

/** The name of the method a call invokes (`a.b.c()` → c, `f()` → f): the language layer's, shared with the recipes. */
export { calleeName } from '../ast.js';

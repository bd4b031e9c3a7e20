/**
 * unbounded-collection: a module-level Map, Set, array or object that functions only ever add to — a cache
 * or registry that grows with traffic until the process runs out of memory.
 *
 * Sees: `const|let|var X = new Map(…) | new Set(…) | [] | {} | Object.create(null)` at the top level of a
 * file, grown inside a function with `.set(k, …)`, `.add(k)`, `.push(…)`, `.unshift(…)` or `X[k] = …` where
 * the key is not a literal, and never bounded anywhere in the file: no `.delete`, `.clear`, `.shift`,
 * `.pop`, `.splice`, `delete X[k]`, `X.length = …`, reassignment of X, nor a comparison on `X.size` /
 * `X.length`. Not reported when X leaves the file's sight (exported, returned, stored elsewhere, passed to a
 * function other than Object.keys/values/entries, Array.from, JSON.stringify, console.*), when the name is
 * declared more than once in the file, or when the only growth happens in functions named like one-time
 * registration (register*, define*, install*, init*, setup*, configure*).
 * Cannot see: bounds enforced in another module, or by the shape of the keys (a small fixed key space).
 */
import type { Smell } from '../../../core/analysis.js';
import { enclosingName, enclosingUnit, lineOf, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'unbounded-collection';
const RECIPE = 'bound-collection';
const GROW = new Set(['set', 'add', 'push', 'unshift']);
const SHRINK = new Set(['delete', 'clear', 'shift', 'pop', 'splice']);
const READERS = /^(Object\.(keys|values|entries)|Array\.from|JSON\.stringify|console\.\w+)$/;
const REGISTRATION = /^(register|define|install|init|setup|configure)/i;
const COMPARISONS = new Set(['<', '<=', '>', '>=', '===', '!==', '==', '!=']);

function kindOf(init: TS.Expression, declared: Set<string>): string | undefined {
  const t = typescript();
  const e = skipOuter(init);
  if (t.isNewExpression(e) && t.isIdentifier(e.expression) && (e.expression.text === 'Map' || e.expression.text === 'Set') && !declared.has(e.expression.text)) return e.expression.text;
  if (t.isArrayLiteralExpression(e) && e.elements.length === 0) return 'array';
  if (t.isObjectLiteralExpression(e) && e.properties.length === 0) return 'object';
  if (t.isCallExpression(e) && e.getText().replace(/\s+/g, '') === 'Object.create(null)') return 'object';
  return undefined;
}

function isLiteralKey(e: TS.Expression | undefined): boolean {
  const t = typescript();
  if (e === undefined) return false;
  const k = skipOuter(e);
  return t.isStringLiteralLike(k) || t.isNumericLiteral(k);
}

export const unboundedCollection: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const t = typescript();
    const out: Smell[] = [];
    const candidates = new Map<string, { decl: TS.VariableDeclaration; kind: string }>();
    for (const s of f.sf.statements) {
      if (!t.isVariableStatement(s)) continue;
      if (s.modifiers?.some((m) => m.kind === t.SyntaxKind.ExportKeyword)) continue;
      for (const d of s.declarationList.declarations) {
        if (!t.isIdentifier(d.name) || !d.initializer) continue;
        const kind = kindOf(d.initializer, f.declared);
        if (kind) candidates.set(d.name.text, { decl: d, kind });
      }
    }
    if (candidates.size === 0) return out;

    interface Use {
      grows: TS.Node[];
      bounded: boolean;
      escapes: boolean;
      declarations: number;
    }
    const uses = new Map<string, Use>([...candidates.keys()].map((k) => [k, { grows: [], bounded: false, escapes: false, declarations: 0 }]));

    const classify = (id: TS.Identifier, u: Use): void => {
      const p = id.parent;
      if ((t.isVariableDeclaration(p) || t.isParameter(p) || t.isBindingElement(p) || t.isFunctionDeclaration(p) || t.isClassDeclaration(p)) && p.name === id) {
        u.declarations++;
        return;
      }
      if (t.isImportSpecifier(p) || t.isImportClause(p) || t.isNamespaceImport(p)) {
        u.declarations++;
        return;
      }
      if ((t.isPropertyAccessExpression(p) && p.name === id) || (t.isPropertyAssignment(p) && p.name === id) || t.isPropertyDeclaration(p) || t.isMethodDeclaration(p)) return;
      if (t.isExportSpecifier(p) || t.isExportAssignment(p) || t.isShorthandPropertyAssignment(p) || t.isReturnStatement(p) || t.isArrowFunction(p)) {
        u.escapes = true;
        return;
      }
      if (t.isPropertyAccessExpression(p) && p.expression === id) {
        const member = p.name.text;
        const gp = p.parent;
        if (t.isCallExpression(gp) && gp.expression === p) {
          if (SHRINK.has(member)) u.bounded = true;
          else if (GROW.has(member) && enclosingUnit(f.sf, gp) !== undefined && !((member === 'set' || member === 'add') && isLiteralKey(gp.arguments[0]))) u.grows.push(gp);
          return;
        }
        if (member === 'size' || member === 'length') {
          if (t.isBinaryExpression(gp) && COMPARISONS.has(gp.operatorToken.getText(f.sf))) u.bounded = true;
          if (t.isBinaryExpression(gp) && gp.left === p && gp.operatorToken.kind === t.SyntaxKind.EqualsToken) u.bounded = true;
        }
        return;
      }
      if (t.isElementAccessExpression(p) && p.expression === id) {
        const gp = p.parent;
        if (t.isDeleteExpression(gp)) u.bounded = true;
        else if (t.isBinaryExpression(gp) && gp.left === p && gp.operatorToken.kind === t.SyntaxKind.EqualsToken && !isLiteralKey(p.argumentExpression) && enclosingUnit(f.sf, gp) !== undefined) {
          u.grows.push(gp);
        }
        return;
      }
      if (t.isBinaryExpression(p) && p.left === id && p.operatorToken.kind === t.SyntaxKind.EqualsToken) {
        u.bounded = true;
        return;
      }
      if (t.isBinaryExpression(p) && p.right === id && p.operatorToken.kind === t.SyntaxKind.EqualsToken) {
        u.escapes = true;
        return;
      }
      if ((t.isCallExpression(p) || t.isNewExpression(p)) && p.arguments?.includes(id)) {
        if (!READERS.test(p.expression.getText(f.sf).replace(/\s+/g, ''))) u.escapes = true;
        return;
      }
      if (t.isVariableDeclaration(p) && p.initializer === id) u.escapes = true;
      if (t.isArrayLiteralExpression(p) || t.isSpreadAssignment(p) || t.isPropertyAssignment(p)) u.escapes = true;
    };

    const visit = (n: TS.Node): void => {
      if (t.isIdentifier(n)) {
        const u = uses.get(n.text);
        if (u) classify(n, u);
        return;
      }
      t.forEachChild(n, visit);
    };
    visit(f.sf);

    for (const [name, { decl, kind }] of candidates) {
      const u = uses.get(name) as Use;
      if (u.grows.length === 0 || u.bounded || u.escapes || u.declarations !== 1) continue;
      if (u.grows.every((g) => REGISTRATION.test(enclosingName(f.sf, g)?.split('.').pop() ?? ''))) continue;
      const first = u.grows[0] as TS.Node;
      const what = kind === 'array' ? 'array' : kind === 'object' ? 'object' : kind;
      out.push(
        smellAt(
          f,
          KIND,
          RECIPE,
          first,
          `module-level ${what} \`${name}\` (line ${lineOf(f.sf, decl.getStart(f.sf))}) only grows: nothing in this file deletes from it or bounds its size; cap it (LRU / max size / TTL) or clear entries when they are done`,
        ),
      );
    }
    return out;
  },
};

/**
 * What a function needs to run the same in another copy of its module (a worker thread that loads the module
 * again): the module's top-level code has no effect when it runs a second time, the function reads nothing but
 * its parameters, its locals, safe globals, constant primitives and other functions of the module that pass the
 * same rules, its arguments and result survive a structured clone, and it does not mutate its arguments (the
 * caller would not see the mutation on its copy). Used by offload-to-worker; every check returns the reason it
 * fails, naming the place, or undefined.
 */
import { isBuiltin } from 'node:module';
import { skipOuter, walk } from './ast.js';
import { typescript, type TS } from './ts.js';

/** Globals a worker has exactly as the main thread has them, without state shared between the two. */
export const SAFE_GLOBALS: ReadonlySet<string> = new Set([
  'Math', 'Number', 'String', 'Boolean', 'Array', 'Object', 'JSON', 'Date', 'Map', 'Set', 'RegExp',
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'BigInt', 'Infinity', 'NaN', 'undefined', 'structuredClone', 'Intl',
  'TextEncoder', 'TextDecoder', 'ArrayBuffer', 'DataView',
  'Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

const TYPED_ARRAYS = new Set(['Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'DataView']);
const PURE_CALLS = /^(Number|String|Boolean|BigInt|Symbol|parseInt|parseFloat|Object\.freeze|Math\.\w+)$/;
const PURE_NEW = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);

const line = (sf: TS.SourceFile, n: TS.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
const short = (sf: TS.SourceFile, n: TS.Node): string => {
  const s = n.getText(sf).replace(/\s+/g, ' ');
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

// ---------------------------------------------------------------------------------------------------------
// Module code

/** An initializer that can run again without an effect: literals, functions, new Map()/Set(), literals of those. */
export function isPureInitializer(e: TS.Expression): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (t.isLiteralExpression(e) || t.isNoSubstitutionTemplateLiteral(e) || t.isIdentifier(e)) return true;
  const k = e.kind;
  if (k === t.SyntaxKind.TrueKeyword || k === t.SyntaxKind.FalseKeyword || k === t.SyntaxKind.NullKeyword) return true;
  if (t.isArrowFunction(e) || t.isFunctionExpression(e)) return true;
  if (t.isPrefixUnaryExpression(e)) return e.operator !== t.SyntaxKind.PlusPlusToken && e.operator !== t.SyntaxKind.MinusMinusToken && isPureInitializer(e.operand);
  if (t.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (op >= t.SyntaxKind.FirstAssignment && op <= t.SyntaxKind.LastAssignment) return false;
    return isPureInitializer(e.left) && isPureInitializer(e.right);
  }
  if (t.isConditionalExpression(e)) return isPureInitializer(e.condition) && isPureInitializer(e.whenTrue) && isPureInitializer(e.whenFalse);
  if (t.isTemplateExpression(e)) return e.templateSpans.every((s) => isPureInitializer(s.expression));
  if (t.isPropertyAccessExpression(e)) return isPureInitializer(e.expression);
  if (t.isArrayLiteralExpression(e)) return e.elements.every((x) => t.isOmittedExpression(x) || isPureInitializer(t.isSpreadElement(x) ? x.expression : x));
  if (t.isObjectLiteralExpression(e)) {
    return e.properties.every((p) => {
      if (t.isPropertyAssignment(p)) return (!t.isComputedPropertyName(p.name) || isPureInitializer(p.name.expression)) && isPureInitializer(p.initializer);
      if (t.isShorthandPropertyAssignment(p)) return true;
      if (t.isSpreadAssignment(p)) return isPureInitializer(p.expression);
      return t.isMethodDeclaration(p);
    });
  }
  if (t.isNewExpression(e)) return t.isIdentifier(e.expression) && PURE_NEW.has(e.expression.text) && (e.arguments ?? []).every((a) => isPureInitializer(a));
  if (t.isCallExpression(e)) {
    const callee = e.expression.getText().replace(/\s+/g, '');
    return PURE_CALLS.test(callee) && e.arguments.every((a) => isPureInitializer(a));
  }
  return false;
}

/** `import type`, or an import whose names are all type-only or only used in types (TypeScript elides it). */
function typeOnlyImport(sf: TS.SourceFile, imp: TS.ImportDeclaration): boolean {
  const t = typescript();
  const clause = imp.importClause;
  if (clause === undefined) return false; // `import 'x'` runs x
  if (clause.isTypeOnly) return true;
  const names: string[] = [];
  if (clause.name) names.push(clause.name.text);
  const nb = clause.namedBindings;
  if (nb && t.isNamespaceImport(nb)) names.push(nb.name.text);
  if (nb && t.isNamedImports(nb)) for (const el of nb.elements) if (!el.isTypeOnly) names.push(el.name.text);
  if (names.length === 0) return true;
  if (!/\.(ts|tsx|mts|cts)$/.test(sf.fileName)) return false;
  const wanted = new Set(names);
  // used, and only in types: an unused import is kept by some settings (verbatimModuleSyntax), so it counts as a value import
  let valueUse = false;
  let typeUse = false;
  const visit = (n: TS.Node, inType: boolean): void => {
    if (valueUse || t.isImportDeclaration(n)) return;
    const typeHere = inType || t.isTypeNode(n) || t.isInterfaceDeclaration(n) || t.isTypeAliasDeclaration(n);
    if (t.isIdentifier(n) && wanted.has(n.text) && !(t.isPropertyAccessExpression(n.parent) && n.parent.name === n) && !(t.isPropertyAssignment(n.parent) && n.parent.name === n)) {
      if (typeHere) typeUse = true;
      else valueUse = true;
    }
    t.forEachChild(n, (c) => visit(c, typeHere));
  };
  visit(sf, false);
  return typeUse && !valueUse;
}

const builtin = (spec: string): boolean => spec.startsWith('node:') || isBuiltin(spec);

/**
 * Why the module's top-level code would do something when the worker loads the module again (or load another
 * module that might), or undefined. `skip` says which statements to leave out (the recipe's own helper).
 */
export function moduleCodeProblem(sf: TS.SourceFile, skip: (s: TS.Statement) => boolean): string | undefined {
  const t = typescript();
  const at = (s: TS.Node): string => `${sf.fileName}:${line(sf, s)}`; // the recipe parses the file under its repository path
  const isRequire = (e: TS.Expression | undefined): string | undefined => {
    if (e === undefined) return undefined;
    let x = skipOuter(e);
    while (t.isPropertyAccessExpression(x)) x = skipOuter(x.expression);
    if (t.isCallExpression(x) && t.isIdentifier(x.expression) && x.expression.text === 'require') {
      const a = x.arguments[0];
      return a !== undefined && t.isStringLiteralLike(a) ? a.text : '?';
    }
    return undefined;
  };
  const exportsTarget = (e: TS.Expression): boolean => {
    const x = skipOuter(e);
    const txt = x.getText(sf).replace(/\s+/g, '');
    return txt === 'module.exports' || /^(module\.)?exports\.[A-Za-z_$][\w$]*$/.test(txt);
  };
  for (const s of sf.statements) {
    if (skip(s)) continue;
    const mods = t.canHaveModifiers(s) ? (t.getModifiers(s) ?? []) : [];
    if (mods.some((m) => m.kind === t.SyntaxKind.DeclareKeyword)) continue;
    if (t.isImportDeclaration(s)) {
      const spec = (s.moduleSpecifier as TS.StringLiteral).text;
      if (builtin(spec) || typeOnlyImport(sf, s)) continue;
      return `${at(s)} imports '${spec}': importing a module runs its top-level code, and the worker would run it again (offload only functions of a module that imports nothing but node: builtins and types)`;
    }
    if (t.isImportEqualsDeclaration(s)) {
      if (s.isTypeOnly) continue;
      const ref = s.moduleReference;
      const spec = t.isExternalModuleReference(ref) && t.isStringLiteral(ref.expression) ? ref.expression.text : undefined;
      if (spec !== undefined && builtin(spec)) continue;
      return `${at(s)} imports ${spec === undefined ? ref.getText(sf) : `'${spec}'`}: importing a module runs its top-level code, and the worker would run it again`;
    }
    if (t.isExportDeclaration(s)) {
      if (s.isTypeOnly || s.moduleSpecifier === undefined) continue;
      const spec = (s.moduleSpecifier as TS.StringLiteral).text;
      if (builtin(spec)) continue;
      return `${at(s)} re-exports from '${spec}': loading it runs that module's top-level code again in the worker`;
    }
    if (t.isExportAssignment(s)) {
      if (isPureInitializer(s.expression)) continue;
      return `${at(s)}: the module code \`${short(sf, s)}\` would run again in the worker`;
    }
    if (t.isFunctionDeclaration(s) || t.isInterfaceDeclaration(s) || t.isTypeAliasDeclaration(s)) continue;
    if (t.isEnumDeclaration(s)) {
      if (s.members.every((m) => m.initializer === undefined || isPureInitializer(m.initializer))) continue;
      return `${at(s)}: the enum ${s.name.text} computes its values with code that would run again in the worker`;
    }
    if (t.isClassDeclaration(s)) {
      const decorated = (t.getDecorators(s)?.length ?? 0) > 0 || s.members.some((m) => t.canHaveDecorators(m) && (t.getDecorators(m)?.length ?? 0) > 0);
      const heritage = s.heritageClauses?.flatMap((h) => h.types).find((h) => !t.isIdentifier(h.expression) && !t.isPropertyAccessExpression(h.expression));
      const staticCode = s.members.find((m) => t.isClassStaticBlockDeclaration(m) || (t.isPropertyDeclaration(m) && (t.getCombinedModifierFlags(m) & t.ModifierFlags.Static) !== 0 && m.initializer !== undefined && !isPureInitializer(m.initializer)));
      const bad = decorated ? 'decorators' : heritage ? `extends ${heritage.getText(sf)}` : staticCode ? short(sf, staticCode) : undefined;
      if (bad === undefined) continue;
      return `${at(s)}: the class ${s.name?.text ?? ''} runs code when it is declared (${bad}), which would run again in the worker`;
    }
    if (t.isModuleDeclaration(s)) return `${at(s)}: the namespace ${s.name.getText(sf)} runs code when it is declared`;
    if (t.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        if (d.initializer === undefined) continue;
        const req = isRequire(d.initializer);
        if (req !== undefined) {
          if (builtin(req)) continue;
          return `${at(d)} requires '${req}': loading a module runs its top-level code, and the worker would run it again (offload only functions of a module that loads nothing but node: builtins)`;
        }
        if (!isPureInitializer(d.initializer)) return `${at(d)}: the module code \`${short(sf, d)}\` would run again in the worker (a module-level initializer must be a literal, a function, new Map()/Set() or a literal of those)`;
      }
      continue;
    }
    if (t.isExpressionStatement(s)) {
      const e = skipOuter(s.expression);
      if (t.isStringLiteral(e)) continue; // 'use strict'
      if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.EqualsToken && exportsTarget(e.left) && isPureInitializer(e.right)) continue;
      return `${at(s)}: the module code \`${short(sf, s)}\` would run again in the worker`;
    }
    if (t.isEmptyStatement(s)) continue;
    return `${at(s)}: the module code \`${short(sf, s)}\` would run again in the worker`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// What a function reads

export type ModuleFunction = TS.FunctionDeclaration | TS.ArrowFunction | TS.FunctionExpression;

/** The module-level function a declaration stands for: a function declaration, or a const initialised with one. */
export function moduleFunctionOf(decl: TS.Declaration): ModuleFunction | undefined {
  const t = typescript();
  if (t.isFunctionDeclaration(decl) && decl.body && t.isSourceFile(decl.parent)) return decl;
  if (t.isVariableDeclaration(decl) && decl.initializer && t.isVariableDeclarationList(decl.parent) && (decl.parent.flags & t.NodeFlags.Const) !== 0 && t.isVariableStatement(decl.parent.parent) && t.isSourceFile(decl.parent.parent.parent)) {
    const init = skipOuter(decl.initializer);
    if (t.isArrowFunction(init) || t.isFunctionExpression(init)) return init;
  }
  return undefined;
}

function primitiveLiteral(e: TS.Expression): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (t.isStringLiteral(e) || t.isNumericLiteral(e) || t.isBigIntLiteral(e) || t.isNoSubstitutionTemplateLiteral(e)) return true;
  if (e.kind === t.SyntaxKind.TrueKeyword || e.kind === t.SyntaxKind.FalseKeyword || e.kind === t.SyntaxKind.NullKeyword) return true;
  return t.isPrefixUnaryExpression(e) && (e.operator === t.SyntaxKind.MinusToken || e.operator === t.SyntaxKind.PlusToken) && primitiveLiteral(e.operand);
}

/** Is this identifier a name in a declaration or a property name, rather than a read of a variable? */
function notAReference(id: TS.Identifier): boolean {
  const t = typescript();
  const p = id.parent;
  if ((t.isPropertyAccessExpression(p) || t.isQualifiedName(p)) && (p as TS.PropertyAccessExpression).name === id) return true;
  if ((t.isPropertyAssignment(p) || t.isMethodDeclaration(p) || t.isPropertyDeclaration(p) || t.isGetAccessorDeclaration(p) || t.isSetAccessorDeclaration(p) || t.isEnumMember(p) || t.isPropertySignature(p)) && p.name === id) return true;
  if (t.isBindingElement(p) && p.propertyName === id) return true;
  if ((t.isLabeledStatement(p) || t.isBreakOrContinueStatement(p)) && p.label === id) return true;
  if (t.isJsxAttribute(p) && p.name === id) return true;
  return false;
}

export interface ReadsContext {
  checker: TS.TypeChecker;
  program: TS.Program;
  sf: TS.SourceFile;
  /** the repository path of a program's file name (for messages) */
  pathOf(fileName: string): string;
}

/**
 * Why `fn` (and the module functions it uses) could not run the same in the worker, or undefined: async or a
 * generator; `this`, `super`, `arguments`, `import.meta`, `new.target`; a free name that is not a parameter or local,
 * a safe global, a module-level function that passes the same rules, a const of a primitive literal or an enum.
 */
export function readsProblem(c: ReadsContext, fn: ModuleFunction, name: string, seen = new Set<TS.Node>()): string | undefined {
  const t = typescript();
  const { checker, program, sf } = c;
  seen.add(fn);
  const at = (n: TS.Node): string => `${c.pathOf(sf.fileName)}:${line(sf, n)}`;
  if (fn.asteriskToken) return `${name} is a generator: a worker call returns one value`;
  if ((t.getCombinedModifierFlags(fn) & t.ModifierFlags.Async) !== 0) return `${name} is async: it does not block the event loop while it waits, and a worker would not help`;
  let problem: string | undefined;
  const inside = (d: TS.Node): boolean => d.getSourceFile() === sf && d.pos >= fn.pos && d.end <= fn.end;
  // the function that `this`/`arguments` belong to: the nearest non-arrow function
  const ownerOf = (n: TS.Node): TS.Node | undefined => {
    for (let p = n.parent; p; p = p.parent) if (t.isFunctionDeclaration(p) || t.isFunctionExpression(p) || t.isMethodDeclaration(p) || t.isConstructorDeclaration(p) || t.isAccessor(p) || t.isClassLike(p)) return p;
    return undefined;
  };
  const visit = (n: TS.Node): void => {
    if (problem !== undefined) return;
    if (t.isTypeNode(n) && !t.isExpressionWithTypeArguments(n)) return;
    if (n.kind === t.SyntaxKind.ThisKeyword && ownerOf(n) === fn) problem = `${name} uses \`this\` at ${at(n)}: the worker has no such object`;
    else if (n.kind === t.SyntaxKind.SuperKeyword) problem = `${name} uses \`super\` at ${at(n)}`;
    else if (t.isMetaProperty(n)) problem = `${name} uses ${n.getText(sf)} at ${at(n)}: it has another value in the worker`;
    else if ((t.isAwaitExpression(n) || t.isYieldExpression(n)) && ownerOf(n) === fn) problem = `${name} uses ${t.isAwaitExpression(n) ? 'await' : 'yield'} at ${at(n)}`;
    else if (t.isIdentifier(n) && !notAReference(n)) problem = identifierProblem(n);
    if (problem === undefined) t.forEachChild(n, visit);
  };
  const identifierProblem = (id: TS.Identifier): string | undefined => {
    if (id.text === 'arguments' && ownerOf(id) === fn && checker.getSymbolAtLocation(id)?.declarations?.every((d) => !inside(d)) !== false) return `${name} uses \`arguments\` at ${at(id)}`;
    const sym = t.isShorthandPropertyAssignment(id.parent) && id.parent.name === id ? checker.getShorthandAssignmentValueSymbol(id.parent) : checker.getSymbolAtLocation(id);
    const decls = sym?.declarations ?? [];
    if (decls.some(inside)) return undefined;
    const where = `${name} reads ${id.text} at ${at(id)}`;
    if (sym === undefined || decls.length === 0) return SAFE_GLOBALS.has(id.text) ? undefined : `${where}, which is not declared in the module (a global the worker may have another value of)`;
    if (sym.flags & t.SymbolFlags.Alias) {
      const imp = decls[0] as TS.Node;
      let spec = '';
      for (let p: TS.Node | undefined = imp; p; p = p.parent) if (t.isImportDeclaration(p)) spec = ` from '${(p.moduleSpecifier as TS.StringLiteral).text}'`;
      return `${where}, imported${spec}: the worker would use its own copy of that module (state, handles and connections are not shared)`;
    }
    const d = decls[0] as TS.Declaration;
    const dsf = d.getSourceFile();
    if (program.isSourceFileDefaultLibrary(dsf) || dsf !== sf) {
      if (dsf === sf || SAFE_GLOBALS.has(id.text)) return undefined;
      if (program.isSourceFileDefaultLibrary(dsf) || dsf.isDeclarationFile) return `${where}, a global that is not among the safe ones (its state is not shared with the worker): ${[...SAFE_GLOBALS].slice(0, 12).join(', ')}…`;
      return `${where}, declared in ${c.pathOf(dsf.fileName)}`;
    }
    // a module-level declaration of this file
    if (t.isEnumDeclaration(d)) return undefined;
    const mf = moduleFunctionOf(d);
    if (mf !== undefined) {
      if (seen.has(mf)) return undefined;
      const inner = readsProblem(c, mf, id.text, seen);
      return inner === undefined ? undefined : `${name} calls ${id.text}, which cannot run in the worker either: ${inner}`;
    }
    if (t.isVariableDeclaration(d) && t.isVariableDeclarationList(d.parent) && t.isVariableStatement(d.parent.parent) && t.isSourceFile(d.parent.parent.parent)) {
      const isConst = (d.parent.flags & t.NodeFlags.Const) !== 0;
      if (isConst && d.initializer !== undefined && t.isIdentifier(d.name) && primitiveLiteral(d.initializer)) return undefined;
      return `${where}: module-level state (${isConst ? `const ${id.text} = ${short(sf, d.initializer ?? d)}` : `${(d.parent.flags & t.NodeFlags.Let) !== 0 ? 'let' : 'var'} ${id.text}`}) — the worker has its own copy, so a change made on one side would not be seen on the other`;
    }
    if (t.isClassDeclaration(d)) return `${where}: the class ${id.text} of this module (its instances cannot be copied back and forth; offload a function of plain data)`;
    if (t.isFunctionDeclaration(d)) return `${where}: an overloaded or body-less function`;
    return `${where}, declared at ${at(d)}`;
  };
  for (const p of fn.parameters) visit(p);
  if (fn.body) visit(fn.body);
  return problem;
}

/** The module-level functions `fn` uses (itself included), for the mutation check. */
export function usedModuleFunctions(c: ReadsContext, fn: ModuleFunction): ModuleFunction[] {
  const t = typescript();
  const out = new Set<ModuleFunction>([fn]);
  const toVisit = [fn];
  while (toVisit.length > 0) {
    const f = toVisit.pop() as ModuleFunction;
    walk(f, (n) => {
      if (!t.isIdentifier(n) || notAReference(n)) return;
      const d = c.checker.getSymbolAtLocation(n)?.declarations?.[0];
      const mf = d && d.getSourceFile() === c.sf ? moduleFunctionOf(d) : undefined;
      if (mf && !out.has(mf)) {
        out.add(mf);
        toVisit.push(mf);
      }
    });
  }
  return [...out];
}

// ---------------------------------------------------------------------------------------------------------
// Mutation of the arguments

const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin', 'set', 'add', 'delete', 'clear']);
const COPIES = new Set(['slice', 'concat', 'map', 'filter', 'flat', 'flatMap', 'toSorted', 'toReversed', 'toSpliced', 'with', 'entries', 'keys', 'values', 'split']);
const OBJECT_MUTATORS = /^(Object\.(assign|defineProperty|defineProperties|setPrototypeOf|freeze|seal|preventExtensions)|Reflect\.(set|defineProperty|deleteProperty|setPrototypeOf))$/;

function bindingNames(name: TS.BindingName, out: Set<string>): void {
  const t = typescript();
  if (t.isIdentifier(name)) out.add(name.text);
  else for (const el of name.elements) if (!t.isOmittedExpression(el)) bindingNames(el.name, out);
}

function mentions(e: TS.Node, names: ReadonlySet<string>): boolean {
  const t = typescript();
  let found = false;
  walk(e, (n) => {
    if (!found && t.isIdentifier(n) && names.has(n.text) && !notAReference(n)) found = true;
  });
  return found;
}

/** The variable an expression's object comes from (`a.b[c].d` → a), following calls unless `stopAtCopies` and the call copies. */
function rootName(e: TS.Expression, stopAtCopies: boolean): string | undefined {
  const t = typescript();
  for (;;) {
    e = skipOuter(e);
    if (t.isIdentifier(e)) return e.text;
    if (t.isPropertyAccessExpression(e) || t.isElementAccessExpression(e)) e = e.expression;
    else if (t.isCallExpression(e)) {
      const callee = skipOuter(e.expression);
      if (!t.isPropertyAccessExpression(callee)) return undefined;
      if (stopAtCopies && COPIES.has(callee.name.text)) return undefined;
      e = callee.expression;
    } else return undefined;
  }
}

/**
 * Where `fn` mutates an argument (or an object reached from one: an alias, an element, a callback's parameter
 * over one), or undefined. Conservative: a local that mentions a parameter in its initializer is an alias.
 */
export function mutationProblem(sf: TS.SourceFile, fn: ModuleFunction, name: string, path: string = sf.fileName): string | undefined {
  const t = typescript();
  const tracked = new Set<string>();
  // locals holding a new array/object/Map/Set made from an argument: changing the container itself is fine, its elements are shared
  const copies = new Set<string>();
  for (const p of fn.parameters) bindingNames(p.name, tracked);
  if (tracked.size === 0 || fn.body === undefined) return undefined;
  const body = fn.body;
  // aliases, to a fixed point
  for (let grew = true; grew; ) {
    grew = false;
    const add = (n: TS.BindingName): void => {
      const before = tracked.size;
      bindingNames(n, tracked);
      if (tracked.size > before) grew = true;
    };
    walk(body, (n) => {
      if (t.isVariableDeclaration(n) && n.initializer && mentions(n.initializer, tracked)) {
        const init = skipOuter(n.initializer);
        if (t.isCallExpression(init) && t.isIdentifier(init.expression) && init.expression.text === 'structuredClone') return; // a deep copy
        if (t.isIdentifier(n.name) && freshContainer(init)) copies.add(n.name.text);
        add(n.name);
      }
      if ((t.isForOfStatement(n) || t.isForInStatement(n)) && t.isVariableDeclarationList(n.initializer) && mentions(n.expression, tracked)) for (const d of n.initializer.declarations) add(d.name);
      if (t.isBinaryExpression(n) && n.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(skipOuter(n.left)) && mentions(n.right, tracked)) {
        const before = tracked.size;
        tracked.add((skipOuter(n.left) as TS.Identifier).text);
        if (tracked.size > before) grew = true;
      }
      // a callback's parameters over a tracked receiver: xs.forEach((x) => …)
      if ((t.isArrowFunction(n) || t.isFunctionExpression(n)) && t.isCallExpression(n.parent) && n.parent.arguments.some((a) => a === n) && mentions(n.parent.expression, tracked)) for (const p of n.parameters) add(p.name);
    });
  }
  const at = (n: TS.Node): string => `${path}:${line(sf, n)}`;
  const rooted = (e: TS.Expression): boolean => {
    const x = skipOuter(e);
    if (t.isIdentifier(x) && copies.has(x.text)) return false;
    const r = rootName(e, false);
    return r !== undefined && tracked.has(r);
  };
  let problem: string | undefined;
  walk(body, (n) => {
    if (problem !== undefined) return;
    const say = (what: string): void => void (problem = `${name} ${what} at ${at(n)} (\`${short(sf, n)}\`): the caller would not see that change on the copy the worker gets`);
    if (t.isBinaryExpression(n) && n.operatorToken.kind >= t.SyntaxKind.FirstAssignment && n.operatorToken.kind <= t.SyntaxKind.LastAssignment) {
      const left = skipOuter(n.left);
      if ((t.isPropertyAccessExpression(left) || t.isElementAccessExpression(left)) && rooted(left.expression)) say('changes an argument');
      if ((t.isObjectLiteralExpression(left) || t.isArrayLiteralExpression(left)) && walkTargets(left).some((x) => (t.isPropertyAccessExpression(x) || t.isElementAccessExpression(x)) && rooted(x.expression))) say('changes an argument');
    } else if ((t.isPrefixUnaryExpression(n) || t.isPostfixUnaryExpression(n)) && (n.operator === t.SyntaxKind.PlusPlusToken || n.operator === t.SyntaxKind.MinusMinusToken)) {
      const x = skipOuter(n.operand);
      if ((t.isPropertyAccessExpression(x) || t.isElementAccessExpression(x)) && rooted(x.expression)) say('changes an argument');
    } else if (t.isDeleteExpression(n)) {
      const x = skipOuter(n.expression);
      if ((t.isPropertyAccessExpression(x) || t.isElementAccessExpression(x)) && rooted(x.expression)) say('deletes from an argument');
    } else if (t.isCallExpression(n)) {
      const callee = skipOuter(n.expression);
      const text = callee.getText(sf).replace(/\s+/g, '');
      const first = n.arguments[0];
      if (OBJECT_MUTATORS.test(text) && first !== undefined && rooted(first)) say(`changes an argument with ${text}`);
      else if (t.isPropertyAccessExpression(callee) && (MUTATORS.has(callee.name.text) || /^set[A-Z]/.test(callee.name.text))) {
        const recv = skipOuter(callee.expression);
        const r = t.isIdentifier(recv) && copies.has(recv.text) ? undefined : rootName(callee.expression, true);
        if (r !== undefined && tracked.has(r)) say(`changes an argument with .${callee.name.text}()`);
      }
    }
  });
  return problem;
}

/** A new container: an array or object literal, a copying method's result, Array.from, new Map/Set. */
function freshContainer(e: TS.Expression): boolean {
  const t = typescript();
  if (t.isArrayLiteralExpression(e) || t.isObjectLiteralExpression(e)) return true;
  if (t.isNewExpression(e)) return t.isIdentifier(e.expression) && /^(Map|Set|Array)$/.test(e.expression.text);
  if (t.isCallExpression(e)) {
    const callee = skipOuter(e.expression);
    if (!t.isPropertyAccessExpression(callee)) return false;
    const txt = callee.getText().replace(/\s+/g, '');
    return txt === 'Array.from' || txt === 'Object.entries' || txt === 'Object.values' || txt === 'Object.keys' || (COPIES.has(callee.name.text) && !['entries', 'keys', 'values'].includes(callee.name.text));
  }
  return false;
}

/** The assignment targets of a destructuring assignment's pattern. */
function walkTargets(p: TS.ObjectLiteralExpression | TS.ArrayLiteralExpression): TS.Expression[] {
  const t = typescript();
  const out: TS.Expression[] = [];
  const go = (e: TS.Expression): void => {
    e = skipOuter(e);
    if (t.isObjectLiteralExpression(e)) {
      for (const q of e.properties) {
        if (t.isPropertyAssignment(q)) go(q.initializer);
        else if (t.isSpreadAssignment(q)) go(q.expression);
      }
    } else if (t.isArrayLiteralExpression(e)) {
      for (const x of e.elements) go(t.isSpreadElement(x) ? x.expression : x);
    } else if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.EqualsToken) go(e.left);
    else out.push(e);
  };
  go(p);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Structured clone

/**
 * Why a value of this type would not come out of a structured clone as the same value (or cannot be known to),
 * or undefined: primitives, literals and unions of those, arrays and tuples, plain object types of allowed
 * properties without methods or signatures, Map/Set of allowed, Date and typed arrays pass; functions, class
 * instances, Promise, symbols, any/unknown and type parameters do not.
 */
export function cloneProblem(checker: TS.TypeChecker, program: TS.Program, type: TS.Type, at: TS.Node, seen = new Set<TS.Type>()): string | undefined {
  const t = typescript();
  const f = type.flags;
  const str = (x: TS.Type): string => checker.typeToString(x);
  if (f & (t.TypeFlags.Any | t.TypeFlags.Unknown)) return 'its type is not known (any/unknown)';
  if (f & t.TypeFlags.ESSymbolLike) return 'a symbol cannot be copied';
  if (f & t.TypeFlags.TypeParameter) return `${str(type)} is a type parameter: what it holds cannot be known`;
  if (f & (t.TypeFlags.StringLike | t.TypeFlags.NumberLike | t.TypeFlags.BooleanLike | t.TypeFlags.BigIntLike | t.TypeFlags.EnumLike | t.TypeFlags.Undefined | t.TypeFlags.Null | t.TypeFlags.Void | t.TypeFlags.Never)) return undefined;
  if (type.isUnionOrIntersection()) {
    for (const m of type.types) {
      const p = cloneProblem(checker, program, m, at, seen);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (!(f & t.TypeFlags.Object)) return `${str(type)} cannot be known to copy`;
  if (seen.has(type)) return undefined;
  seen.add(type);
  const args = (): readonly TS.Type[] => checker.getTypeArguments(type as TS.TypeReference);
  const all = (ts: readonly TS.Type[]): string | undefined => {
    for (const x of ts) {
      const p = cloneProblem(checker, program, x, at, seen);
      if (p !== undefined) return p;
    }
    return undefined;
  };
  if (checker.isTupleType(type) || checker.isArrayType(type)) return all(args());
  const sym = type.getSymbol();
  const name = sym?.getName() ?? '';
  const fromLib = sym?.declarations?.some((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()) || d.getSourceFile().isDeclarationFile) ?? false;
  if (sym && fromLib && sym.flags & (t.SymbolFlags.Interface | t.SymbolFlags.Class)) {
    if (name === 'Map' || name === 'ReadonlyMap' || name === 'Set' || name === 'ReadonlySet') return all(args());
    if (name === 'Date' || TYPED_ARRAYS.has(name)) return undefined;
    if (name === 'Promise' || name === 'PromiseLike') return 'a Promise cannot be copied to or from a worker';
    return `${name} is a built-in object whose copy would not be the same (or cannot be made)`;
  }
  if (sym && sym.flags & t.SymbolFlags.Class) return `${name} is a class: its instances would arrive as plain objects, without their prototype and methods`;
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return `${str(type)} is a function: functions cannot be copied`;
  for (const prop of checker.getPropertiesOfType(type)) {
    const decl = prop.declarations?.[0];
    if (decl && (t.isMethodSignature(decl) || t.isMethodDeclaration(decl))) return `${str(type)} has a method (${prop.getName()}): functions cannot be copied`;
    if (decl && (t.isGetAccessorDeclaration(decl) || t.isSetAccessorDeclaration(decl))) return `${str(type)} has an accessor (${prop.getName()})`;
    const p = cloneProblem(checker, program, checker.getTypeOfSymbolAtLocation(prop, at), at, seen);
    if (p !== undefined) return `its property ${prop.getName()}: ${p}`;
  }
  for (const info of checker.getIndexInfosOfType(type)) {
    const p = cloneProblem(checker, program, info.type, at, seen);
    if (p !== undefined) return p;
  }
  return undefined;
}

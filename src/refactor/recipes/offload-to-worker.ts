/**
 * offload-to-worker: a CPU-bound module-level function runs in a worker thread instead of on the event loop. The
 * function keeps its body under a new name, `<name>OnThread`; `<name>` becomes a function with the same
 * parameters that posts them to ONE worker thread per module (started on first use, running this very module,
 * loaded again there) and returns a promise of the result; every caller in the project awaits it
 * (src/refactor/make-async.ts). The location is a line of the function's declaration header (what a CPU
 * profile names: the function's start line) or a call of it (in any file of the project).
 *
 * The inserted helper (once per file, found again by its marker): `runOffThread(name, args)` lazily starts the
 * worker (`new Worker(new URL(import.meta.url))` in ES modules, `new Worker(__filename)` in CommonJS, with
 * `workerData: { faultlineOffThread: true }`), posts `{ id, name, args }` and settles the call by id — an error
 * thrown in the worker rejects with an Error of the same name, message and stack; it `ref()`s the worker while
 * calls are pending and `unref()`s it when idle (a script still exits, and never with a call pending); a worker
 * that fails or exits rejects the calls it had and is forgotten (the next call starts a fresh one). In the worker
 * (`!isMainThread && workerData?.faultlineOffThread`) the same helper answers the messages by running the named
 * function of the registry `offThreadFunctions()`, which lists every function of the module that was offloaded.
 *
 * "Do no harm" (src/refactor/purity.ts): refuses, naming the place, when the module's top-level code would do
 * something when the worker loads the module again (or loads another module that might: value imports other than
 * node: builtins); when the function is async, a generator, uses this/super/arguments/import.meta, or reads a
 * free name that is not a safe global, a constant primitive or a module function that passes the same rules
 * (module-level state would be a separate copy in the worker); when a parameter or the result cannot be
 * structured-cloned faithfully (checked on the types: class instances, functions, Promise, symbols, any/unknown —
 * a JavaScript file needs JSDoc types); when the function mutates an argument (the caller would not see it);
 * when a caller cannot await it (make-async); when it is already offloaded; and when the module system of the
 * file (ES module or CommonJS) cannot be told.
 */
import { ensureHelper, findHelpers, markerOf } from '../helpers.js';
import { awaitCallers } from '../make-async.js';
import { nodeAt, projectService, type ProjectService } from '../project.js';
import { cloneProblem, moduleCodeProblem, moduleFunctionOf, mutationProblem, readsProblem, usedModuleFunctions, type ModuleFunction } from '../purity.js';
import { defineRecipe, type FileEdits, type Plan, type RecipeContext, recipeContext, type RecipeFile, refuse, type TextEdit } from '../recipe.js';
import { lineBounds, styled } from '../style.js';
import { typescript, type TS } from '../ts.js';
import { skipOuter, uniqueName } from '../ast.js';

const ID = 'offload-to-worker';

interface Target {
  /** the function */
  fn: ModuleFunction;
  /** the top-level statement that declares it */
  stmt: TS.FunctionDeclaration | TS.VariableStatement;
  name: TS.Identifier;
}

/** The module-level function whose declaration statement is `s`, if it is one. */
function targetOf(s: TS.Statement): Target | undefined {
  const t = typescript();
  if (t.isFunctionDeclaration(s) && s.name) return s.body ? { fn: s, stmt: s, name: s.name } : undefined;
  if (t.isVariableStatement(s) && s.declarationList.declarations.length === 1) {
    const d = s.declarationList.declarations[0] as TS.VariableDeclaration;
    const fn = moduleFunctionOf(d);
    if (fn && t.isIdentifier(d.name)) return { fn, stmt: s, name: d.name };
  }
  return undefined;
}

/** Where a function's header ends: its body's first token (an arrow's `=>` line counts). */
function headerEnd(ctx: RecipeContext, fn: ModuleFunction): number {
  const body = fn.body as TS.Node;
  return body.getStart(ctx.sf);
}

/** The module-level function at the location: a line of its header, or a call of it in this file. */
function located(ctx: RecipeContext): Target | { call: TS.CallExpression } | string {
  const t = typescript();
  const lineStart = ctx.sf.getLineStarts()[ctx.line0] as number;
  const { end: lineEnd } = lineBounds(ctx.text, lineStart);
  for (const s of ctx.sf.statements) {
    const start = s.getStart(ctx.sf);
    if (start > (ctx.hasCol ? ctx.offset : lineEnd) || s.end < lineStart) continue;
    const target = targetOf(s);
    if (target === undefined && t.isVariableStatement(s) && (s.declarationList.flags & t.NodeFlags.Const) === 0 && s.declarationList.declarations.some((d) => d.initializer && (t.isArrowFunction(skipOuter(d.initializer)) || t.isFunctionExpression(skipOuter(d.initializer))))) {
      return `${s.declarationList.declarations[0]?.name.getText(ctx.sf) ?? 'the function'} is a let/var: it could be reassigned, and the worker would run the first value (make it a const)`;
    }
    if (target === undefined) {
      // a function that is not a module-level one, or a header inside another statement
      if (t.isFunctionDeclaration(s) && s.body === undefined) return `${s.name?.text ?? 'the function'} at this line is an overload signature or a declaration without a body`;
      continue;
    }
    const hEnd = headerEnd(ctx, target.fn);
    const inHeader = ctx.hasCol ? ctx.offset >= start && ctx.offset <= hEnd : lineEnd >= start && lineStart <= hEnd;
    if (inHeader) return target;
  }
  const calls = ctx.at((n): n is TS.CallExpression => t.isCallExpression(n) && t.isIdentifier(n.expression));
  const call = calls[calls.length - 1];
  if (call) return { call };
  for (const n of ctx.at((x): x is TS.Node => typescript().isFunctionLike(x) || t.isClassLike(x))) {
    return `the function at this line is not a module-level function or const (${n.getText(ctx.sf).split('\n')[0]?.slice(0, 60)}…): the worker loads the module and finds the function by name; move it to the top level first`;
  }
  return 'no module-level function header and no call of one at this location';
}

type ModuleKind = 'esm' | 'cjs';

function dirOf(p: string): string {
  return p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
}

function nearest(ctx: RecipeContext, file: string): { path: string; text: string } | undefined {
  const read = ctx.project?.read;
  if (read === undefined) return undefined;
  for (let d = dirOf(ctx.path); ; d = dirOf(d)) {
    const path = d === '' ? file : `${d}/${file}`;
    const text = read(path);
    if (text !== undefined) return { path, text };
    if (d === '') return undefined;
  }
}

/** ES module or CommonJS: from the extension, else the nearest package.json `type` (and a tsconfig's `module` for TypeScript), else the file's own syntax. */
function moduleKind(ctx: RecipeContext): ModuleKind | string {
  const t = typescript();
  if (/\.(mts|mjs)$/.test(ctx.path)) return 'esm';
  if (/\.(cts|cjs)$/.test(ctx.path)) return 'cjs';
  const pkg = nearest(ctx, 'package.json');
  let pkgType: ModuleKind | undefined;
  if (pkg) {
    try {
      pkgType = (JSON.parse(pkg.text) as { type?: unknown }).type === 'module' ? 'esm' : 'cjs';
    } catch {
      return `${pkg.path} does not parse: cannot tell whether ${ctx.path} is an ES module or CommonJS`;
    }
  }
  if (ctx.typed) {
    const tsconfig = nearest(ctx, 'tsconfig.json');
    if (tsconfig) {
      const parsed = t.parseConfigFileTextToJson(tsconfig.path, tsconfig.text).config as { compilerOptions?: { module?: unknown } } | undefined;
      const m = String(parsed?.compilerOptions?.module ?? '').toLowerCase();
      if (['commonjs', 'umd', 'amd'].includes(m)) return 'cjs';
      if (/^(es\d+|esnext|preserve)$/.test(m)) return 'esm';
      // node16/nodenext (or not set): package.json decides
    }
  }
  if (pkgType) return pkgType;
  // the file's own syntax, when it can only be one of them
  let esm = false;
  let cjs = false;
  const visit = (n: TS.Node): void => {
    if (t.isMetaProperty(n) && n.keywordToken === t.SyntaxKind.ImportKeyword) esm = true;
    if (!ctx.typed && (t.isImportDeclaration(n) || t.isExportDeclaration(n) || t.isExportAssignment(n) || (t.canHaveModifiers(n) && t.getModifiers(n)?.some((m) => m.kind === t.SyntaxKind.ExportKeyword)))) esm = true;
    if (t.isIdentifier(n) && (n.text === '__filename' || n.text === '__dirname' || n.text === 'require' || (n.text === 'module' && t.isPropertyAccessExpression(n.parent) && n.parent.name.text === 'exports'))) cjs = true;
    if (t.isExportAssignment(n) && n.isExportEquals) cjs = true;
    t.forEachChild(n, visit);
  };
  visit(ctx.sf);
  if (esm !== cjs) return esm ? 'esm' : 'cjs';
  return `cannot tell whether ${ctx.path} is an ES module or CommonJS (no .mts/.cts/.mjs/.cjs extension, no package.json or tsconfig.json the engine could read, nothing in the file that says): the worker must be started differently for each`;
}

// ---------------------------------------------------------------------------------------------------------
// The helper

const TS_HELPER = `const runOffThread = (() => {
  type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string; stack?: string } };
  const port = workerThreads.parentPort;
  if (!workerThreads.isMainThread && port !== null && (workerThreads.workerData as { faultlineOffThread?: unknown } | null)?.faultlineOffThread === true) {
    // in the worker: run the named function of this module, answer with its value or its error
    port.on('message', (call: { id: number; name: string; args: unknown[] }) => {
      try {
        const fn = offThreadFunctions()[call.name];
        if (fn === undefined) throw new Error(\`\${call.name} is not a function this module runs off the thread\`);
        const reply: Reply = { id: call.id, ok: true, value: Reflect.apply(fn, undefined, call.args) };
        port.postMessage(reply);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        const reply: Reply = { id: call.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
        port.postMessage(reply);
      }
    });
  }
  type Pending = { resolve: (value: never) => void; reject: (err: unknown) => void };
  let current: { worker: workerThreads.Worker; pending: Map<number, Pending> } | undefined;
  let nextId = 0;
  const start = (): { worker: workerThreads.Worker; pending: Map<number, Pending> } => {
    const worker = new workerThreads.Worker(SELF, { workerData: { faultlineOffThread: true } });
    const state = { worker, pending: new Map<number, Pending>() };
    const fail = (err: unknown): void => {
      if (current === state) current = undefined;
      for (const p of state.pending.values()) p.reject(err);
      state.pending.clear();
    };
    worker.on('message', (reply: Reply) => {
      const p = state.pending.get(reply.id);
      if (p === undefined) return;
      state.pending.delete(reply.id);
      if (state.pending.size === 0) worker.unref();
      if (reply.ok) {
        p.resolve(reply.value as never);
        return;
      }
      const err = new Error(reply.error.message);
      err.name = reply.error.name;
      if (reply.error.stack !== undefined) err.stack = reply.error.stack;
      p.reject(err);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(\`the worker thread of this module exited (code \${code}) with calls pending\`)));
    return state;
  };
  return function runOffThread<T>(name: string, args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const state = (current ??= start());
      const id = nextId++;
      state.pending.set(id, { resolve: resolve as (value: never) => void, reject });
      state.worker.ref();
      try {
        state.worker.postMessage({ id, name, args });
      } catch (err) {
        state.pending.delete(id);
        if (state.pending.size === 0) state.worker.unref();
        throw err;
      }
    });
  };
})();`;

const JS_HELPER = `const runOffThread = (() => {
  const port = workerThreads.parentPort;
  if (!workerThreads.isMainThread && port !== null && workerThreads.workerData?.faultlineOffThread === true) {
    // in the worker: run the named function of this module, answer with its value or its error
    port.on('message', (call) => {
      try {
        const fn = offThreadFunctions()[call.name];
        if (fn === undefined) throw new Error(\`\${call.name} is not a function this module runs off the thread\`);
        port.postMessage({ id: call.id, ok: true, value: Reflect.apply(fn, undefined, call.args) });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ id: call.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } });
      }
    });
  }
  let current;
  let nextId = 0;
  const start = () => {
    const worker = new workerThreads.Worker(SELF, { workerData: { faultlineOffThread: true } });
    const state = { worker, pending: new Map() };
    const fail = (err) => {
      if (current === state) current = undefined;
      for (const p of state.pending.values()) p.reject(err);
      state.pending.clear();
    };
    worker.on('message', (reply) => {
      const p = state.pending.get(reply.id);
      if (p === undefined) return;
      state.pending.delete(reply.id);
      if (state.pending.size === 0) worker.unref();
      if (reply.ok) {
        p.resolve(reply.value);
        return;
      }
      const err = new Error(reply.error.message);
      err.name = reply.error.name;
      if (reply.error.stack !== undefined) err.stack = reply.error.stack;
      p.reject(err);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(\`the worker thread of this module exited (code \${code}) with calls pending\`)));
    return state;
  };
  return function runOffThread(name, args) {
    return new Promise((resolve, reject) => {
      const state = (current ??= start());
      const id = nextId++;
      state.pending.set(id, { resolve, reject });
      state.worker.ref();
      try {
        state.worker.postMessage({ id, name, args });
      } catch (err) {
        state.pending.delete(id);
        if (state.pending.size === 0) state.worker.unref();
        throw err;
      }
    });
  };
})();`;

const HELPER_DESCRIPTION = [
  'runs a function of this module in a worker thread (one per module,',
  '// started on first use, loading this module again), so CPU-heavy work leaves the event loop free. Arguments and',
  '// result are copied (structured clone); an error thrown there rejects the call with its name, message and stack;',
  '// a worker that fails rejects its pending calls, and the next call starts a new one.',
].join('\n');

function registryCode(names: Record<string, string>, typed: boolean, fns: readonly string[]): string {
  return `// ${markerOf(ID)}: the functions of this module that ${names.runOffThread} runs in its worker thread.
function ${names.offThreadFunctions}()${typed ? ': Record<string, (...args: never[]) => unknown>' : ''} {
  return { ${fns.join(', ')} };
}`;
}

const isHelper = (ctx: RecipeContext): ((s: TS.Statement) => boolean) => {
  const t = typescript();
  const marker = markerOf(ID);
  return (s) => (t.getLeadingCommentRanges(ctx.text, s.getFullStart()) ?? []).some((r) => ctx.text.slice(r.pos, r.end).includes(marker));
};

/** The registry function of an earlier application, with the names it lists. */
function registryOf(ctx: RecipeContext): { stmt: TS.FunctionDeclaration; obj: TS.ObjectLiteralExpression; names: Set<string> } | undefined {
  const t = typescript();
  for (const [name, s] of findHelpers(ctx, ID)) {
    if (!/^offThreadFunctions\d*$/.test(name) || !t.isFunctionDeclaration(s) || !s.body) continue;
    const ret = s.body.statements[0];
    const obj = ret && t.isReturnStatement(ret) && ret.expression && t.isObjectLiteralExpression(ret.expression) ? ret.expression : undefined;
    if (obj === undefined) continue;
    return { stmt: s, obj, names: new Set(obj.properties.map((p) => p.name?.getText(ctx.sf) ?? '')) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The plan

interface FilePlan {
  byPath: Map<string, TextEdit[]>;
}

function planFunction(ctx: RecipeContext, target: Target): FilePlan | string {
  const t = typescript();
  const { fn, stmt, name } = target;
  const fnName = name.text;
  const helpers = findHelpers(ctx, ID);
  const registry = registryOf(ctx);
  if (registry?.names.has(fnName)) return `${fnName} is already offloaded: it runs in the worker thread of ${ctx.path}`;
  const entry = [...helpers.keys()].find((n) => /^runOffThread\d*$/.test(n));
  if (entry !== undefined && fn.body && new RegExp(`\\b${entry}\\(`).test(fn.body.getText(ctx.sf))) return `${fnName} is already offloaded (it calls ${entry})`;
  if (fn.asteriskToken) return `${fnName} is a generator: a worker call returns one value`;
  if ((t.getCombinedModifierFlags(fn) & t.ModifierFlags.Async) !== 0) return `${fnName} is async: it does not hold the event loop while it awaits, and a worker would not help`;
  if (t.isVariableStatement(stmt) && (stmt.declarationList.flags & t.NodeFlags.Const) === 0) return `${fnName} is a let/var: it could be reassigned, and the worker would run the first value`;
  const exported = (t.getCombinedModifierFlags(stmt as TS.Declaration) & t.ModifierFlags.Export) !== 0;

  const kind = moduleKind(ctx);
  if (kind !== 'esm' && kind !== 'cjs') return kind;

  // the module runs again in the worker: its top-level code must do nothing there
  const skip = isHelper(ctx);
  const moduleProblem = moduleCodeProblem(ctx.sf, skip);
  if (moduleProblem !== undefined) return `${ctx.path} runs again in the worker, and it cannot: ${moduleProblem}`;

  // the project (or, for a function only this file can call, the file alone) in a language service
  if (ctx.project === undefined && exported) return `${fnName} is exported: its callers in other files must await it, and the project's files were not given here`;
  const files: readonly RecipeFile[] = ctx.project ? ctx.project.files().map((f) => (f.path === ctx.path ? { path: f.path, text: ctx.text } : f)) : [{ path: ctx.path, text: ctx.text }];
  if (!files.some((f) => f.path === ctx.path)) return `${ctx.path} is not among the project's files`;
  const svc: ProjectService = projectService(files);
  const program = svc.ls.getProgram();
  const psf = svc.sourceFile(ctx.path);
  if (program === undefined || psf === undefined) return `TypeScript did not load ${ctx.path}`;
  const checker = program.getTypeChecker();
  const pfn = nodeAt(psf, fn.getStart(ctx.sf), (n): n is ModuleFunction => n.kind === fn.kind);
  if (pfn === undefined) return `cannot find ${fnName} in the program`;

  const rc = { checker, program, sf: psf, pathOf: (f: string): string => svc.pathOf(f) };
  const reads = readsProblem(rc, pfn, fnName);
  if (reads !== undefined) return reads;
  for (const f of usedModuleFunctions(rc, pfn)) {
    const own = f === pfn ? fnName : (f.name?.getText(psf) ?? (t.isVariableDeclaration(f.parent) ? f.parent.name.getText(psf) : 'a function'));
    const m = mutationProblem(psf, f, own, ctx.path);
    if (m !== undefined) return m;
  }

  const sig = checker.getSignatureFromDeclaration(pfn);
  if (sig === undefined) return `cannot read the signature of ${fnName}`;
  for (const p of sig.getParameters()) {
    const type = checker.getTypeOfSymbolAtLocation(p, pfn);
    const problem = cloneProblem(checker, program, type, pfn);
    if (problem !== undefined) {
      const js = !ctx.typed && type.flags & (t.TypeFlags.Any | t.TypeFlags.Unknown);
      return js
        ? `cannot prove the arguments of ${fnName} can be copied to a worker: the parameter ${p.getName()} has no type (give it a JSDoc @param type)`
        : `the parameter ${p.getName()} of ${fnName} (${checker.typeToString(type)}) cannot be copied to a worker faithfully: ${problem}`;
    }
  }
  const ret = checker.getReturnTypeOfSignature(sig);
  const retProblem = cloneProblem(checker, program, ret, pfn);
  if (retProblem !== undefined) return `the result of ${fnName} (${checker.typeToString(ret)}) cannot be copied back from a worker faithfully: ${retProblem}`;

  // every caller awaits it
  const awaited = awaitCallers(ctx, fn, { svc, files, selfCalls: 'collect' });
  if ('refuse' in awaited) return `${fnName} would return a promise, and not every caller can await it: ${awaited.refuse}`;
  const byPath = awaited.edits;
  const edit = (path: string, e: TextEdit): void => void (byPath.get(path) ?? byPath.set(path, []).get(path))?.push(e);

  // names
  const taken = new Set(ctx.names());
  const onThread = uniqueName(`${fnName}OnThread`, taken);
  taken.add(onThread);
  const helper = ensureHelper(ctx, ID, ['runOffThread', 'offThreadFunctions', 'workerThreads'], (names, typed) => {
    const code = (typed ? TS_HELPER : JS_HELPER)
      .replace(/\brunOffThread\b/g, names.runOffThread as string)
      .replace(/\boffThreadFunctions\b/g, names.offThreadFunctions as string)
      .replace(/\bworkerThreads\b/g, names.workerThreads as string)
      .replace(/\bSELF\b/g, kind === 'esm' ? 'new URL(import.meta.url)' : '__filename');
    return `${code}\n\n${registryCode(names, typed, [onThread])}`;
  }, HELPER_DESCRIPTION);
  const run = helper.names.runOffThread as string;
  const eol = ctx.style.eol;
  if (!helper.existing) {
    const ns = helper.names.workerThreads as string;
    const importLine = kind === 'esm' || ctx.typed ? `import * as ${ns} from 'node:worker_threads';` : `const ${ns} = require('node:worker_threads');`;
    const insert = helper.edits[0] as TextEdit;
    // the import goes right after the other imports/requires (where the helper goes, before it), or on top of the file
    const line = styled(importLine, ctx.style);
    if (insert.newText.startsWith(eol + eol)) edit(ctx.path, { start: insert.start, end: insert.start, newText: eol + line });
    else if (insert.newText.startsWith(eol)) edit(ctx.path, { start: insert.start, end: insert.start, newText: line + eol });
    else edit(ctx.path, { start: insert.start, end: insert.start, newText: line + eol + eol });
    edit(ctx.path, insert);
  } else {
    if (registry === undefined) return `the ${ID} helper is in ${ctx.path}, but its list of functions (offThreadFunctions) is not: restore it or remove the helper`;
    const props = registry.obj.properties;
    const lastProp = props[props.length - 1];
    if (lastProp === undefined) {
      const open = registry.obj.getStart(ctx.sf) + 1;
      edit(ctx.path, { start: open, end: open, newText: ` ${onThread} ` });
    } else edit(ctx.path, { start: lastProp.end, end: lastProp.end, newText: `, ${onThread}` });
  }

  // the original keeps its body under the new name, without export modifiers; recursive calls go to it directly
  const firstAfterMods = t.isFunctionDeclaration(stmt) ? (stmt.getChildren(ctx.sf).find((c) => c.kind === t.SyntaxKind.FunctionKeyword) as TS.Node) : stmt.declarationList;
  const modsStart = stmt.getStart(ctx.sf);
  const modsEnd = firstAfterMods.getStart(ctx.sf);
  const modsText = ctx.text.slice(modsStart, modsEnd);
  if (modsEnd > modsStart) edit(ctx.path, { start: modsStart, end: modsEnd, newText: '' });
  edit(ctx.path, { start: name.getStart(ctx.sf), end: name.end, newText: onThread });
  for (const id of awaited.self) edit(ctx.path, { start: id.getStart(psf), end: id.end, newText: onThread });

  // the public name: same export modifiers, same parameters, a promise of the same result
  const params = ctx.typed ? `...args: Parameters<typeof ${onThread}>` : '...args';
  const result = ctx.typed ? `: Promise<ReturnType<typeof ${onThread}>>` : '';
  const keyword = t.isVariableStatement(stmt) ? ctx.text.slice(stmt.declarationList.getStart(ctx.sf), stmt.declarationList.getStart(ctx.sf) + 5) : 'function';
  const comment = `// ${markerOf(ID)}: runs ${onThread} in a worker thread; callers await the result.`;
  const wrapper = t.isFunctionDeclaration(stmt)
    ? `${comment}\n${modsText}function ${fnName}(${params})${result} {\n  return ${run}('${onThread}', args);\n}`
    : `${comment}\n${modsText}${keyword} ${fnName} = (${params})${result} => ${run}('${onThread}', args);`;
  const { end } = lineBounds(ctx.text, stmt.end);
  // a blank line before the wrapper, and one after it unless the file has one there (or ends)
  const blankAfter = end >= ctx.text.length || /^\r?\n[ \t]*(\r?\n|$)/.test(ctx.text.slice(end));
  edit(ctx.path, { start: end, end, newText: eol + eol + styled(wrapper, ctx.style) + (blankAfter ? '' : eol) });
  return { byPath };
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const found = located(ctx);
  if (typeof found === 'string') return refuse(found);
  let fctx = ctx;
  let target: Target | undefined;
  if ('call' in found) {
    const callee = found.call.expression as TS.Identifier;
    // a function of this file, or (given the project) of the file it is imported from
    const local = ctx.sf.statements.map(targetOf).find((x) => x?.name.text === callee.text);
    if (local) target = local;
    else {
      if (ctx.project === undefined) return refuse(`${callee.text} is not a module-level function of ${ctx.path}, and the project's files were not given to find it`);
      const files = ctx.project.files().map((f) => (f.path === ctx.path ? { path: f.path, text: ctx.text } : f));
      const svc = projectService(files);
      const program = svc.ls.getProgram();
      const psf = svc.sourceFile(ctx.path);
      const id = psf ? nodeAt(psf, callee.getStart(ctx.sf), (n): n is TS.Identifier => t.isIdentifier(n)) : undefined;
      let sym = id && program ? program.getTypeChecker().getSymbolAtLocation(id) : undefined;
      if (sym && program && sym.flags & t.SymbolFlags.Alias) sym = program.getTypeChecker().getAliasedSymbol(sym);
      const decl = sym?.declarations?.[0];
      const declFile = decl ? svc.pathOf(decl.getSourceFile().fileName) : undefined;
      const file = files.find((f) => f.path === declFile);
      if (decl === undefined || file === undefined) return refuse(`cannot find the declaration of ${callee.text} among the project's files`);
      const line = decl.getSourceFile().getLineAndCharacterOfPosition(decl.getStart()).line + 1;
      const other = recipeContext(file, { path: file.path, line }, ctx.options, ctx.project);
      if (typeof other === 'string') return refuse(other);
      const stmt = other.sf.statements.find((s) => s.getStart(other.sf) <= decl.getStart() && decl.end <= s.end);
      target = stmt ? targetOf(stmt) : undefined;
      if (target === undefined) return refuse(`${callee.text} (${file.path}:${line}) is not a module-level function or const function`);
      fctx = other;
    }
    if (target === undefined) return refuse(`${callee.text} is not a module-level function`);
  } else target = found;
  const p = planFunction(fctx, target);
  if (typeof p === 'string') return refuse(p);
  const edits = p.byPath.get(ctx.path) ?? [];
  const others: FileEdits[] = [...p.byPath.entries()].filter(([path]) => path !== ctx.path).map(([path, e]) => ({ path, edits: e }));
  return { edits, others };
}

export const offloadToWorker = defineRecipe({
  id: ID,
  title: 'Run a CPU-bound function in a worker thread, off the event loop',
  category: 'resilience',
  addresses: { smells: [], failureTypes: ['blocking-io', 'timeout'] },
  options: [],
  plan,
});

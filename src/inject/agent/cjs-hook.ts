import Module from 'node:module';
import { pathToFileURL } from 'node:url';
import { injectedLoadFailure } from './break-modules.js';
import { describeThrown } from './evidence.js';
import type { AgentRuntime } from './runtime.js';

type CompileExt = (module: { exports: unknown }, filename: string) => void;

/**
 * CommonJS: after a module of the application has run, its exported functions (module.exports itself
 * when it is a function, and its own writable data properties) are replaced by wrappers, before any
 * caller sees them. Calls inside the module to its own functions do not go through the wrapper.
 */
export function installCjsHook(rt: AgentRuntime, keep: (path: string) => boolean): void {
  const extensions = (Module as unknown as { _extensions: Record<string, CompileExt> })._extensions;
  for (const ext of ['.js', '.cjs']) {
    const orig = extensions[ext];
    if (typeof orig !== 'function') continue;
    extensions[ext] = function (this: unknown, module, filename) {
      Reflect.apply(orig, this, [module, filename]);
      try {
        if (keep(filename)) instrumentExports(rt, module, filename);
      } catch (e) {
        rt.noteSkipped(filename, `instrumentation failed: ${describeThrown(e).message}`);
      }
    };
  }
}

/**
 * CommonJS side of FAULTLINE_AGENT_BREAK_MODULES: require() of a matching .js, .cjs or .json file throws the
 * injected SyntaxError before the file is read (Node drops the failed module from require.cache, so every
 * later require fails the same way). Installed after installCjsHook, so it runs first.
 */
export function installCjsBreakHook(broken: (path: string) => boolean): void {
  const extensions = (Module as unknown as { _extensions: Record<string, CompileExt> })._extensions;
  for (const ext of ['.js', '.cjs', '.json']) {
    const orig = extensions[ext];
    if (typeof orig !== 'function') continue;
    extensions[ext] = function (this: unknown, module, filename) {
      if (broken(filename)) throw injectedLoadFailure(filename);
      Reflect.apply(orig, this, [module, filename]);
    };
  }
}

function instrumentExports(rt: AgentRuntime, module: { exports: unknown }, filename: string): void {
  const url = pathToFileURL(filename).href;
  const exp = module.exports;
  if (typeof exp === 'function') {
    const wrapped = rt.wrap(exp, url, ['default', ...(exp.name ? [exp.name] : [])], 'cjs');
    module.exports = wrapped;
    // its own properties (module.exports.helper = …) stay reachable through the wrapper's prototype chain: wrap them in place
    wrapProperties(rt, exp as unknown as Record<string, unknown>, url);
    return;
  }
  if (exp !== null && typeof exp === 'object') {
    if (wrapProperties(rt, exp as Record<string, unknown>, url) === 0) rt.noteModule(url, 'cjs');
  }
}

function wrapProperties(rt: AgentRuntime, holder: Record<string, unknown>, url: string): number {
  let n = 0;
  for (const key of Object.keys(holder)) {
    const d = Object.getOwnPropertyDescriptor(holder, key);
    if (!d || typeof d.value !== 'function' || !d.writable) continue;
    const wrapped = rt.wrap(d.value, url, [key], 'cjs');
    if (wrapped !== d.value) {
      holder[key] = wrapped;
      n++;
    }
  }
  return n;
}

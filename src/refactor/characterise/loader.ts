/**
 * The module loader hooks of the characterisation processes (`hooks.mjs`, registered with `module.register`):
 * TypeScript sources (.ts, .mts, .cts, .tsx) are transpiled with the `typescript` package's transpileModule,
 * so they import without a build; `./x.js` finds `./x.ts` and extensionless relative imports find their file,
 * as TypeScript's own resolution would; and `?faultline-expose=<name>` on a module's URL appends
 * `export { <name> as __faultlineExposed }`, so a top-level function the module does not export can be
 * called (that URL is a separate module instance: the rest of the program still sees the original).
 * JavaScript is loaded as it is.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The query parameter that asks the loader to expose a top-level binding. */
export const EXPOSE_PARAM = 'faultline-expose';

/** The text of hooks.mjs; `typescriptUrl` is where the hooks load the compiler from (faultline's own by default). */
export function hooksModuleSource(typescriptUrl = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href): string {
  return `// faultline characterisation loader hooks (generated; see src/refactor/characterise/loader.ts)
/* eslint-disable */
import { readFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TS_URL = ${JSON.stringify(typescriptUrl)};
const EXPOSE = ${JSON.stringify(EXPOSE_PARAM)};
const TS_EXT = /\\.(ts|mts|cts|tsx)$/;
let ts;

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const parent = context.parentURL;
    if (!parent || !parent.startsWith('file:') || !/^(\\.{1,2}\\/|\\/|file:)/.test(specifier)) throw err;
    const url = new URL(specifier, parent);
    const path = fileURLToPath(url);
    const candidates = /\\.[cm]?js$/.test(path)
      ? [path.replace(/\\.([cm]?)js$/, '.$1ts'), path.replace(/\\.js$/, '.tsx')]
      : /\\.[cm]?[jt]sx?$/.test(path)
        ? []
        : ['.ts', '.tsx', '.js', '.mjs', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'].map((e) => path + e);
    for (const c of candidates) if (isFile(c)) return { url: pathToFileURL(c).href + url.search, shortCircuit: true };
    throw err;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:')) return next(url, context);
  const u = new URL(url);
  const expose = u.searchParams.get(EXPOSE);
  const tail = expose && expose !== 'default' && /^[A-Za-z_$][\\w$]*$/.test(expose) ? '\\nexport { ' + expose + ' as __faultlineExposed };\\n' : '';
  const path = fileURLToPath(u);
  if (TS_EXT.test(path)) {
    ts ??= (await import(TS_URL)).default;
    const source = await readFile(path, 'utf8');
    const out = ts.transpileModule(source, {
      fileName: path,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX, esModuleInterop: true, sourceMap: false, inlineSourceMap: false, declaration: false, isolatedModules: true },
    }).outputText;
    return { format: 'module', source: out + tail, shortCircuit: true };
  }
  const r = await next(url, context);
  if (tail && r.format === 'module') return { ...r, source: String(r.source ?? (await readFile(path, 'utf8'))) + tail, shortCircuit: true };
  return r;
}
`;
}

/** The URL the child imports for a repository file, asking the loader to expose `binding`. */
export function exposedModuleUrl(absPath: string, binding: string): string {
  const u = pathToFileURL(absPath);
  if (binding !== 'default') u.searchParams.set(EXPOSE_PARAM, binding);
  return u.href;
}

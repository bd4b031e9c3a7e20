/**
 * The refactor stage's door to the TypeScript compiler: the shared language layer (src/lang/ts.ts), which
 * loads the compiler lazily and once for every stage. Kept so recipes import `../ts.js` as before.
 */
export { isTypeScript, languageOfPath, parse, syntaxErrors, typescript, typescriptLoaded, type ScriptLanguage, type TS } from '../lang/ts.js';

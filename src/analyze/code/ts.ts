/**
 * The analyze stage's door to the TypeScript compiler: the shared language layer (src/lang/ts.ts), which
 * loads the compiler lazily and once for every stage. Kept so the stage's modules import `./ts.js` as before.
 */
export { languageOf, parseSource, typescript, typescriptLoaded, type ParsedSource, type TS } from '../../lang/ts.js';

/** The analyze stage: code metrics, smells and the import graph (code/), and git history mining and SZZ (git/). */
export * from './code/index.js';
export * from './git/index.js';

// Writes docs/errors.md from src/core/error-codes.ts (via dist). Run: npm run build && node scripts/gen-errors-doc.mjs
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../dist/core/errors-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
console.log('wrote docs/errors.md');

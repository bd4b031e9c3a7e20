// Writes docs/reference/cli.md from the commands' own help. Run: npm run build && node scripts/gen-cli-doc.mjs
import { writeFileSync } from 'node:fs';
import { renderCliDoc } from '../dist/cli/program.js';

writeFileSync(new URL('../docs/reference/cli.md', import.meta.url), renderCliDoc());
console.log('wrote docs/reference/cli.md');

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of a compiled sibling module (entry points such as the TTL guard are started as separate
 * `node` processes, so they must be JavaScript). When this code runs from TypeScript sources (vitest, tsx),
 * the path is mapped from src/ to the matching file under dist/.
 */
export function compiledPath(relative: string, fromUrl: string): string {
  const file = fileURLToPath(fromUrl);
  const base = file.endsWith('.ts') ? file.replace(/\/src\/(?!.*\/src\/)/, '/dist/') : file;
  return resolve(dirname(base), relative);
}

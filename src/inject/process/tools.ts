/** Finding the system tools process faults use, with FL_ERR_TOOL_MISSING naming the Debian package. */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { FaultlineError } from '../../core/errors.js';

/** Absolute path of an executable found on PATH (plus the sbin folders), or undefined. */
export function findExecutable(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  const dirs = [...pathVar.split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function requireExecutable(name: string, debianPackage: string, purpose: string): string {
  const p = findExecutable(name);
  if (!p) {
    throw new FaultlineError('FL_ERR_TOOL_MISSING', `${purpose} needs \`${name}\`, which is not installed; install it with \`apt-get install ${debianPackage}\``, { context: { tool: name, package: debianPackage } });
  }
  return p;
}

const FAKETIME_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

/** Path of libfaketime.so.1: the usual Debian locations, else `dpkg -L libfaketime`. */
export function findLibfaketime(): string | undefined {
  const known = FAKETIME_CANDIDATES.find((p) => existsSync(p));
  if (known) return known;
  try {
    const listed = execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return listed.split('\n').find((l) => l.endsWith('/libfaketime.so.1') && existsSync(l));
  } catch {
    return undefined;
  }
}

export function requireLibfaketime(purpose: string): string {
  const p = findLibfaketime();
  if (!p) {
    throw new FaultlineError('FL_ERR_TOOL_MISSING', `${purpose} needs libfaketime.so.1, which is not installed; install it with \`apt-get install libfaketime\` (or the \`faketime\` package)`, { context: { tool: 'libfaketime', package: 'libfaketime' } });
  }
  return p;
}

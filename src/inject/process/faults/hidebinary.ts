/**
 * hidebinary: restarts a supervised service with executables hidden from its PATH (a binary missing from the
 * host). Its PATH becomes one private folder, <stateDir>/hidden-binaries/<fault id>, holding a symlink for every
 * executable name the original PATH resolves (first match wins, as in a shell) except the hidden names. Reverted
 * by a restart with its own environment and the removal of that folder. A program that runs a binary by its
 * absolute path still finds it.
 */
import { accessSync, constants, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { ServiceConfig } from '../../../core/config-types.js';
import { FaultlineError } from '../../../core/errors.js';
import type { RevertStep } from '../plan.js';
import { listParam } from './list-params.js';
import { onlyKnown } from './params.js';
import { refuseChangedEnv, restartWithEnv, restartWithOwnEnvPlan, serviceConfigOrThrow } from './service-env.js';
import { defineFault, type ApplyContext, type ResolvedTarget } from './types.js';

const invalid = (msg: string): FaultlineError => new FaultlineError('FL_ERR_INVALID_ARGUMENT', `hidebinary: param "names" ${msg}`, { context: { kind: 'hidebinary', param: 'names' } });

/** The folder that replaces the service's PATH while the fault is active. */
const hiddenBinariesDir = (stateDir: string, faultId: string): string => join(stateDir, 'hidden-binaries', faultId);

/** The PATH the service starts with: its own `env.PATH`, else the controller's. */
const originalPath = (config: ServiceConfig): string => config.env.PATH ?? process.env.PATH ?? '';

/**
 * Every executable name the PATH resolves, with the file it resolves to: the first folder holding an
 * executable regular file (or a symlink to one) of that name wins. Relative entries (and the empty entry, the
 * current folder) are taken relative to `cwd`, as the service's shell would.
 */
export function resolvePathExecutables(pathVar: string, cwd: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of pathVar.split(delimiter)) {
    const dir = resolve(cwd, entry);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // a PATH folder that does not exist or cannot be read resolves nothing
    }
    for (const name of names) {
      if (out.has(name)) continue;
      const file = join(dir, name);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
      } catch {
        continue;
      }
      out.set(name, file);
    }
  }
  return out;
}

interface Farm {
  config: ServiceConfig;
  dir: string;
  /** name → the file it resolved to, for the hidden names */
  hidden: Record<string, string>;
  /** the names that stay reachable, with their files */
  kept: Map<string, string>;
}

function plan(ctx: ApplyContext, t: ResolvedTarget, names: readonly string[]): { farm: Farm; steps: RevertStep[] } {
  const config = serviceConfigOrThrow('hidebinary', t, 'it restarts the service with a PATH that lacks the hidden names');
  refuseChangedEnv('hidebinary', t);
  const pathVar = originalPath(config);
  const all = resolvePathExecutables(pathVar, config.cwd);
  const missing = names.filter((n) => !all.has(n));
  if (missing.length > 0) {
    throw invalid(`names ${missing.map((n) => `"${n}"`).join(', ')}, which the PATH of service "${config.name}" does not resolve (${pathVar || 'empty'}); nothing to hide — name an executable it runs`);
  }
  const hidden = Object.fromEntries(names.map((n) => [n, all.get(n) as string]));
  for (const n of names) all.delete(n);
  const dir = hiddenBinariesDir(ctx.stateDir, ctx.id);
  // restart first, so no process of the service still runs from the folder when it is removed
  return { farm: { config, dir, hidden, kept: all }, steps: [...restartWithOwnEnvPlan(ctx, config), { op: 'remove-dir', path: dir }] };
}

export const hidebinary = defineFault({
  kind: 'hidebinary',
  summary: 'restart the service with executables hidden from its PATH; restarted with its own PATH at the TTL',
  target: 'service',
  validate(params) {
    onlyKnown('hidebinary', params, ['names']);
    const names = listParam('hidebinary', params, 'names', 'ffmpeg,git');
    if (names === undefined) throw invalid('is required: the executables to hide, e.g. ffmpeg,git');
    for (const n of names) {
      if (n.includes('/') || n === '.' || n === '..') throw invalid(`holds "${n}"; give executable names as a shell looks them up on PATH (e.g. ffmpeg), not paths`);
    }
    return { names };
  },
  planAhead: (ctx, t, p) => plan(ctx, t, p.names).steps,
  async apply(ctx, t, p) {
    const { farm, steps } = plan(ctx, t, p.names);
    mkdirSync(farm.dir, { recursive: true });
    for (const [name, file] of farm.kept) symlinkSync(file, join(farm.dir, name));
    const restart = await restartWithEnv(ctx, farm.config, { set: { PATH: farm.dir }, unset: [] });
    return { plan: steps, detail: { ...restart, hidden: farm.hidden, path: farm.dir, linked: farm.kept.size } };
  },
});

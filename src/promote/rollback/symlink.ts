/**
 * The symlink adapter (the embedded default): releases live side by side in `releasesDir/<version>`, and
 * `currentLink` points at the one that runs. A switch makes a new symlink beside `currentLink` and renames it
 * over the old one — rename(2) replaces atomically, so there is never a moment without `current` — then
 * restarts the service so it loads the release now behind the link.
 */
import { lstatSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import type { AdapterOutcome, ReleaseTarget, RollbackAdapter } from './types.js';

export interface SymlinkAdapterOptions {
  /** folder of release folders, one per version */
  releasesDir: string;
  /** the link switched among them */
  currentLink: string;
  /** restarts the service after the switch; absent: nothing is restarted (a server that reads the link per request) */
  restart?: () => Promise<void>;
}

let switches = 0;
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The release folder of a target: its artifact (absolute, or relative to the parent of releasesDir), else releasesDir/<version>. */
export function releaseDirOf(o: Pick<SymlinkAdapterOptions, 'releasesDir'>, to: ReleaseTarget): string {
  if (to.artifact !== undefined) return isAbsolute(to.artifact) ? to.artifact : resolve(dirname(resolve(o.releasesDir)), to.artifact);
  return join(resolve(o.releasesDir), to.version);
}

/** Where the link points now (as written in it), or undefined when there is no link. Refuses a real file or folder. */
function currentTarget(link: string): string | undefined {
  let st;
  try {
    st = lstatSync(link);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `symlink: cannot read ${link}: ${errText(e)}`, { cause: e, context: { adapter: 'symlink', path: link } });
  }
  if (!st.isSymbolicLink()) {
    const what = st.isDirectory() ? 'a real directory' : 'a real file';
    throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `symlink: ${link} is ${what}, not a symlink; refusing to replace it. Move it into the releases folder (e.g. ${link} → releases/<version>) and let faultline create the link`, { context: { adapter: 'symlink', path: link } });
  }
  return readlinkSync(link);
}

/** Points `currentLink` at the release folder of `to` atomically; returns the actions. */
function switchLink(o: SymlinkAdapterOptions, to: ReleaseTarget): string[] {
  const link = resolve(o.currentLink);
  const dir = releaseDirOf(o, to);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // missing: reported below
  }
  if (!isDir) throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `symlink: the release folder of ${to.module} ${to.version} does not exist: ${dir}; it should hold the release (or give the release an artifact path)`, { context: { adapter: 'symlink', path: dir } });
  const was = currentTarget(link);
  const target = relative(dirname(link), dir) || '.';
  const tmp = join(dirname(link), `.${basename(link)}.faultline-${process.pid}-${Date.now()}-${++switches}`);
  try {
    symlinkSync(target, tmp, 'dir');
    renameSync(tmp, link);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `symlink: cannot point ${link} at ${target}: ${errText(e)}`, { cause: e, context: { adapter: 'symlink', path: link } });
  }
  return [`${basename(link)} → ${target}${was === undefined ? ' (new link)' : was === target ? ' (unchanged)' : ` (was ${was})`}`];
}

async function restartAfter(o: SymlinkAdapterOptions, to: ReleaseTarget, actions: string[]): Promise<void> {
  if (!o.restart) {
    actions.push('no restart configured');
    return;
  }
  try {
    await o.restart();
  } catch (e) {
    throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `symlink: ${actions.join('; ')}, then the restart on ${to.module} ${to.version} failed: ${errText(e)}`, { cause: e, context: { adapter: 'symlink', actions } });
  }
  actions.push(`restarted ${to.module}`);
}

export function createSymlinkAdapter(o: SymlinkAdapterOptions): RollbackAdapter {
  const run = async (to: ReleaseTarget): Promise<AdapterOutcome> => {
    const t0 = performance.now();
    const actions = switchLink(o, to);
    await restartAfter(o, to, actions);
    return { adapter: 'symlink', actions, ms: performance.now() - t0 };
  };
  return {
    name: 'symlink',
    deploy: run,
    rollback: (to) => run(to),
  };
}

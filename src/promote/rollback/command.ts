/**
 * The command adapter: your own deploy/rollback script, run with /bin/sh -c. It learns what to do from its
 * environment:
 *   FAULTLINE_ACTION        deploy | rollback
 *   FAULTLINE_MODULE        the module
 *   FAULTLINE_FROM_VERSION  the version being rolled back (empty on deploy)
 *   FAULTLINE_TO_VERSION    the version to switch to
 *   FAULTLINE_TO_ARTIFACT   its artifact (empty when the release has none)
 * Its process group is killed at the timeout; an exit other than 0 is FL_ERR_ROLLBACK_FAILED with the end of
 * its output. A script that starts a service in the background should redirect that service's output: the
 * adapter stops reading once the script itself has exited.
 */
import { FaultlineError } from '../../core/errors.js';
import { outputTail, runProcess } from './run.js';
import type { AdapterOutcome, ReleaseTarget, RollbackAdapter } from './types.js';

export interface CommandAdapterOptions {
  /** run with /bin/sh -c */
  command: string;
  timeoutMs: number;
  cwd?: string;
  /** after SIGTERM at the timeout, SIGKILL follows after this long; default 2000 */
  killGraceMs?: number;
}

export function createCommandAdapter(o: CommandAdapterOptions): RollbackAdapter {
  async function run(action: 'deploy' | 'rollback', to: ReleaseTarget, from: ReleaseTarget | undefined): Promise<AdapterOutcome> {
    const env = {
      FAULTLINE_ACTION: action,
      FAULTLINE_MODULE: to.module,
      FAULTLINE_FROM_VERSION: from?.version ?? '',
      FAULTLINE_TO_VERSION: to.version,
      FAULTLINE_TO_ARTIFACT: to.artifact ?? '',
    };
    const what = action === 'rollback' ? `rollback ${to.module} ${from?.version ?? '?'} → ${to.version}` : `deploy ${to.module} ${to.version}`;
    const line = `sh -c ${JSON.stringify(o.command)}`;
    let r;
    try {
      r = await runProcess('/bin/sh', ['-c', o.command], { timeoutMs: o.timeoutMs, env, ...(o.cwd !== undefined ? { cwd: o.cwd } : {}), ...(o.killGraceMs !== undefined ? { killGraceMs: o.killGraceMs } : {}) });
    } catch (e) {
      throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `command ${what}: cannot run ${line}${o.cwd !== undefined ? ` in ${o.cwd}` : ''}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, context: { adapter: 'command', command: o.command } });
    }
    const tail = outputTail(r);
    if (r.timedOut) {
      throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `command ${what}: ${line} timed out after ${o.timeoutMs} ms; its process group was killed${tail ? `. Output:\n${tail}` : ''}`, { context: { adapter: 'command', command: o.command, timedOut: true } });
    }
    if (r.exitCode !== 0) {
      throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `command ${what}: ${line} exited ${r.exitCode ?? `on ${r.signal ?? 'a signal'}`}${tail ? `. Output:\n${tail}` : ' with no output'}`, { context: { adapter: 'command', command: o.command, exitCode: r.exitCode } });
    }
    const said = tail.split('\n').at(-1)?.trim();
    return { adapter: 'command', actions: [`${line} (${what}): exit 0${said ? ` → ${said}` : ''}`], ms: r.ms };
  }
  return {
    name: 'command',
    deploy: (to) => run('deploy', to, undefined),
    rollback: (to, from) => run('rollback', to, from),
  };
}

/**
 * The kubectl adapter: a module that runs as a Kubernetes Deployment.
 *   rollback: kubectl [--context C] [-n NS] rollout undo deployment/NAME [--to-revision=N]
 *             kubectl [--context C] [-n NS] rollout status deployment/NAME --timeout=<s>s
 *   deploy:   kubectl [--context C] [-n NS] set image deployment/NAME CONTAINER=IMAGE  (the release's artifact)
 *             then the same rollout status.
 * A non-zero exit is FL_ERR_ROLLBACK_FAILED with kubectl's stderr ("Error from server (NotFound): …").
 */
import { FaultlineError } from '../../core/errors.js';
import { commandLine, outputTail, runProcess } from './run.js';
import type { AdapterOutcome, ReleaseTarget, RollbackAdapter } from './types.js';

export interface ExecResult {
  /** null when the command was killed */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program; rejects only when it cannot be started. */
export type KubectlExec = (cmd: string, args: string[], o: { timeoutMs: number }) => Promise<ExecResult>;

export interface KubectlAdapterOptions {
  deployment: string;
  namespace?: string;
  context?: string;
  /** the container whose image `deploy` sets */
  container?: string;
  /** the kubectl binary; default 'kubectl' (found on PATH) */
  kubectl?: string;
  /** for each kubectl call; rollout status gets it as --timeout, rounded up to seconds */
  timeoutMs: number;
  /** roll back to this revision of the deployment instead of the one before the current */
  toRevision?: number;
  exec?: KubectlExec;
}

/** extra time a kubectl call gets beyond its own --timeout, so kubectl reports the timeout itself */
const EXEC_GRACE_MS = 10_000;

const defaultExec: KubectlExec = async (cmd, args, o) => {
  const r = await runProcess(cmd, args, { timeoutMs: o.timeoutMs });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.timedOut ? `${r.stderr}${r.stderr.endsWith('\n') || r.stderr === '' ? '' : '\n'}(killed after ${o.timeoutMs} ms)` : r.stderr };
};

const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1)?.trim() ?? '';

export function createKubectlAdapter(o: KubectlAdapterOptions): RollbackAdapter {
  const bin = o.kubectl ?? 'kubectl';
  const exec = o.exec ?? defaultExec;
  const resource = `deployment/${o.deployment}`;
  const scope = [...(o.context !== undefined ? ['--context', o.context] : []), ...(o.namespace !== undefined ? ['-n', o.namespace] : [])];
  const statusSeconds = Math.max(1, Math.ceil(o.timeoutMs / 1000));

  async function kubectl(action: 'rollback' | 'deploy', args: string[], timeoutMs: number, actions: string[]): Promise<void> {
    const full = [...scope, ...args];
    const line = commandLine(bin, full);
    let r: ExecResult;
    try {
      r = await exec(bin, full, { timeoutMs });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `kubectl ${action}: cannot run \`${line}\`: ${msg}; install kubectl or set promote.rollback.kubectl.binary`, { cause: e, context: { adapter: 'kubectl', command: line, actions } });
    }
    if (r.exitCode !== 0) {
      const out = r.stderr.trim() !== '' ? r.stderr.trim() : outputTail({ stdout: r.stdout, stderr: '' });
      throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `kubectl ${action}: \`${line}\` exited ${r.exitCode ?? 'on a signal'}: ${out || '(no output)'}`, { context: { adapter: 'kubectl', command: line, exitCode: r.exitCode, actions } });
    }
    const said = lastLine(r.stdout);
    actions.push(said ? `${line} → ${said}` : line);
  }

  const status = (action: 'rollback' | 'deploy', actions: string[]): Promise<void> => kubectl(action, ['rollout', 'status', resource, `--timeout=${statusSeconds}s`], statusSeconds * 1000 + EXEC_GRACE_MS, actions);

  return {
    name: 'kubectl',
    async deploy(to: ReleaseTarget): Promise<AdapterOutcome> {
      if (to.artifact === undefined) throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `kubectl deploy: release ${to.module} ${to.version} has no artifact; give it the image to set (e.g. registry/api:${to.version})`, { context: { adapter: 'kubectl' } });
      if (o.container === undefined) throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `kubectl deploy: which container of ${resource} runs ${to.module}? Set promote.rollback.kubectl.container`, { context: { adapter: 'kubectl' } });
      const t0 = performance.now();
      const actions: string[] = [];
      await kubectl('deploy', ['set', 'image', resource, `${o.container}=${to.artifact}`], o.timeoutMs, actions);
      await status('deploy', actions);
      return { adapter: 'kubectl', actions, ms: performance.now() - t0 };
    },
    async rollback(): Promise<AdapterOutcome> {
      const t0 = performance.now();
      const actions: string[] = [];
      await kubectl('rollback', ['rollout', 'undo', resource, ...(o.toRevision !== undefined ? [`--to-revision=${o.toRevision}`] : [])], o.timeoutMs, actions);
      await status('rollback', actions);
      return { adapter: 'kubectl', actions, ms: performance.now() - t0 };
    },
  };
}

/**
 * Verification steps as commands: the engine knows a check only as `{name, command, args, cwd, timeoutMs}`,
 * exit 0 = pass (or a `judge` over the output, for commands whose exit code does not carry the verdict).
 * Each runs in its own process group, so a timeout kills the test runner and everything it started.
 */
import { spawn } from 'node:child_process';
import { FaultlineError } from '../../core/errors.js';

/** `characterisation`: the pinned behaviour of a weakly covered function (src/refactor/characterise/) */
export type CheckKind = 'typecheck' | 'test' | 'experiment' | 'characterisation';

export interface CheckSpec {
  name: string;
  kind: CheckKind;
  command: string;
  args: string[];
  cwd: string;
  timeoutMs: number;
  env?: Record<string, string>;
  /** run through /bin/sh (a command line from faultline.yaml) */
  shell?: boolean;
  /** the verdict from the output when the exit code does not carry it (e.g. `faultline loop --json`) */
  /** the verdict from the output; `ok: null` when the command could not do its job at all (nothing was measured) */
  judge?: (out: { exitCode: number | null; stdout: string; stderr: string }) => { ok: boolean | null; detail: string };
}

export interface CheckResult {
  name: string;
  kind: CheckKind;
  /** null: not run (skipped) */
  ok: boolean | null;
  ms: number;
  exitCode: number | null;
  timedOut: boolean;
  /** the verdict in a line, then the tail of the output when it failed */
  detail: string;
}

/** Runs one check. */
export type RunCheck = (spec: CheckSpec) => Promise<CheckResult>;

const TAIL_CHARS = 4000;

function tail(s: string): string {
  const t = s.trimEnd();
  return t.length <= TAIL_CHARS ? t : '…' + t.slice(t.length - TAIL_CHARS);
}

/** The command line of a check, for reports. */
export function commandLine(spec: Pick<CheckSpec, 'command' | 'args' | 'shell'>): string {
  if (spec.shell) return spec.command;
  return [spec.command, ...spec.args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The real runner: spawns the command, kills its process group at the timeout, keeps the output's tail. */
export const runCheck: RunCheck = (spec) =>
  new Promise((resolveCheck, reject) => {
    const t0 = performance.now();
    const child = spawn(spec.shell ? '/bin/sh' : spec.command, spec.shell ? ['-c', spec.command] : spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let started = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-1_000_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-1_000_000)));
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, spec.timeoutMs);
    child.once('spawn', () => (started = true));
    child.once('error', (e) => {
      clearTimeout(timer);
      if (!started) reject(new FaultlineError('FL_ERR_REFACTOR_CHECK', `${spec.name}: cannot start \`${commandLine(spec)}\` in ${spec.cwd}: ${e.message}`, { cause: e, context: { check: spec.name } }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // whatever the command left running in its group goes too
      killGroup();
      const ms = performance.now() - t0;
      const out = { exitCode: code, stdout, stderr };
      let ok: boolean | null;
      let verdict: string;
      if (timedOut) {
        ok = false;
        verdict = `timed out after ${spec.timeoutMs} ms`;
      } else if (spec.judge) {
        const j = spec.judge(out);
        ok = j.ok;
        verdict = j.detail;
      } else {
        ok = code === 0;
        verdict = `exit ${code ?? 'signal'}`;
      }
      const output = tail([stdout, stderr].filter((s) => s.trim() !== '').join('\n'));
      resolveCheck({ name: spec.name, kind: spec.kind, ok, ms, exitCode: code, timedOut, detail: ok || output === '' ? verdict : `${verdict}\n${output}` });
    });
  });

/** A check that was not run, with why. */
export function skippedCheck(spec: Pick<CheckSpec, 'name' | 'kind'>, why: string): CheckResult {
  return { name: spec.name, kind: spec.kind, ok: null, ms: 0, exitCode: null, timedOut: false, detail: why };
}

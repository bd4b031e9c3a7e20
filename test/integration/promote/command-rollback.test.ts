// The command adapter with real /bin/sh processes: environment, exit codes, output tail, timeouts that kill the
// whole process group.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { createCommandAdapter, createRollbackAdapter } from '../../../src/promote/rollback/index.js';
import { failure } from './failure.js';

const v1 = { module: 'api', version: '1.0.0', artifact: 'releases/1.0.0' };
const v2 = { module: 'api', version: '2.0.0' };

/** Running (a zombie waiting for its reaper counts as gone: it was killed). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

describe('command rollback adapter', () => {
  let dir = '';
  const leftovers: number[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fl-command-'));
  });
  afterEach(() => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const pidIn = (file: string): number => Number(readFileSync(join(dir, file), 'utf8').trim());

  it('rollback: runs in cwd with FAULTLINE_* in the environment', async () => {
    const a = createCommandAdapter({ command: 'env | grep ^FAULTLINE_ | sort > env.txt; pwd > pwd.txt; echo "switched to $FAULTLINE_TO_VERSION"', timeoutMs: 10_000, cwd: dir });
    const out = await a.rollback(v1, v2);
    expect(readFileSync(join(dir, 'env.txt'), 'utf8').trim().split('\n')).toEqual([
      'FAULTLINE_ACTION=rollback',
      'FAULTLINE_FROM_VERSION=2.0.0',
      'FAULTLINE_MODULE=api',
      'FAULTLINE_TO_ARTIFACT=releases/1.0.0',
      'FAULTLINE_TO_VERSION=1.0.0',
    ]);
    expect(readFileSync(join(dir, 'pwd.txt'), 'utf8').trim()).toBe(realpathSync(dir));
    expect(out.adapter).toBe('command');
    expect(out.actions).toHaveLength(1);
    expect(out.actions[0]).toContain('(rollback api 2.0.0 → 1.0.0): exit 0 → switched to 1.0.0');
  });

  it('deploy: FAULTLINE_ACTION=deploy, no from-version, the artifact when there is one', async () => {
    const a = createCommandAdapter({ command: 'echo "$FAULTLINE_ACTION|$FAULTLINE_FROM_VERSION|$FAULTLINE_TO_VERSION|$FAULTLINE_TO_ARTIFACT" > env.txt', timeoutMs: 10_000, cwd: dir });
    await a.deploy?.(v2);
    expect(readFileSync(join(dir, 'env.txt'), 'utf8').trim()).toBe('deploy||2.0.0|');
    await a.deploy?.(v1);
    expect(readFileSync(join(dir, 'env.txt'), 'utf8').trim()).toBe('deploy||1.0.0|releases/1.0.0');
  });

  it('a non-zero exit is FL_ERR_ROLLBACK_FAILED with the exit code and the tail of the output', async () => {
    const a = createCommandAdapter({ command: 'echo "helm rollback api"; echo "Error: release: not found" >&2; exit 3', timeoutMs: 10_000 });
    const f = await failure(a.rollback(v1, v2));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toMatch(/^command rollback api 2\.0\.0 → 1\.0\.0: sh -c ".*" exited 3\. Output:\nhelm rollback api\nError: release: not found$/);
  });

  it('keeps only the tail of a long output', async () => {
    const a = createCommandAdapter({ command: 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; exit 1', timeoutMs: 10_000 });
    const f = await failure(a.rollback(v1, v2));
    expect(f.message).toContain('line 1999');
    expect(f.message).not.toContain('line 10\n');
    expect(f.message.length).toBeLessThan(2600);
  });

  it('at the timeout the whole process group is killed, background children too', async () => {
    const a = createCommandAdapter({ command: 'sleep 30 & echo $! > bg.pid; echo $$ > sh.pid; wait', timeoutMs: 600, cwd: dir });
    const t0 = Date.now();
    const f = await failure(a.rollback(v1, v2));
    const ms = Date.now() - t0;
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toMatch(/timed out after 600 ms; its process group was killed/);
    expect(ms).toBeLessThan(10_000);
    const bg = pidIn('bg.pid');
    const sh = pidIn('sh.pid');
    leftovers.push(bg, sh);
    expect(await until(() => !alive(bg) && !alive(sh), 5000)).toBe(true);
  });

  it('a script that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const a = createCommandAdapter({ command: "trap '' TERM; echo $$ > sh.pid; while :; do sleep 0.1; done", timeoutMs: 500, killGraceMs: 300, cwd: dir });
    const t0 = Date.now();
    const f = await failure(a.rollback(v1, v2));
    expect(f.message).toMatch(/timed out after 500 ms/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const sh = pidIn('sh.pid');
    leftovers.push(sh);
    expect(await until(() => !alive(sh), 5000)).toBe(true);
  });

  it('returns when the script exits, even if what it started in the background still holds its output', async () => {
    const a = createCommandAdapter({ command: 'sleep 20 & echo $! > bg.pid; echo restarted', timeoutMs: 15_000, cwd: dir });
    const t0 = Date.now();
    const out = await a.rollback(v1, v2);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(out.actions[0]).toContain('→ restarted');
    const bg = pidIn('bg.pid');
    leftovers.push(bg);
    // an ordinary exit leaves what the script started running (a deploy script may start the service)
    expect(alive(bg)).toBe(true);
  });

  it('is built from promote.rollback of faultline.yaml, running in the project folder', async () => {
    const a = createRollbackAdapter({ adapter: 'command', releasesDir: '/x', current: '/y', timeoutMs: 10_000, command: 'echo "$FAULTLINE_MODULE" > module.txt' }, { cwd: dir });
    expect(a.name).toBe('command');
    await a.rollback(v1, v2);
    expect(existsSync(join(dir, 'module.txt'))).toBe(true);
    const noCommand = (() => {
      try {
        createRollbackAdapter({ adapter: 'command', releasesDir: '/x', current: '/y', timeoutMs: 1000 });
      } catch (e) {
        return isFaultlineError(e) ? e.code : String(e);
      }
      return undefined;
    })();
    expect(noCommand).toBe('FL_ERR_CONFIG_INVALID');
  });
});

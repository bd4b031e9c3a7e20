import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLedger } from '../../../src/core/fault.js';
import { listActiveFaults, revertAll } from '../../../src/inject/process/inject.js';
import { isSameProcess, readProcStat } from '../../../src/inject/process/proc.js';
import { eventsFile } from '../../../src/inject/process/state.js';
import { tempStateDir, waitFor, within } from './helpers.js';

const CONTROLLER = fileURLToPath(new URL('../../fixtures/process/controller.mjs', import.meta.url));
const children: ChildProcess[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0)) c();
});

function target(): ChildProcess & { pid: number } {
  const t = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(t);
  return t as ChildProcess & { pid: number };
}

/** starts the controller fixture and resolves with the fault it printed */
async function controller(stateDir: string, pid: number, ttlMs: number, mode: 'idle' | 'hold' | 'die-applying'): Promise<{ proc: ChildProcess; fault: { id: string; expiresAt: number; guardPid?: number }; lines: string[]; exit: Promise<{ code: number | null; signal: string | null; stderr: string }> }> {
  const proc = spawn(process.execPath, [CONTROLLER, stateDir, String(pid), String(ttlMs), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) => proc.once('close', (code, signal) => r({ code, signal, stderr })));
  const lines: string[] = [];
  let buf = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  const first = await waitFor(() => lines[0], 10_000);
  return { proc, fault: JSON.parse(first) as { id: string; expiresAt: number }, lines, exit };
}

function setup() {
  const state = tempStateDir();
  cleanups.push(state.cleanup);
  cleanups.unshift(() => void revertAll({ stateDir: state.dir, ledger: memoryLedger() }));
  return state.dir;
}

describe('TTL guard', () => {
  it('resumes a paused process at the TTL after the controller was killed with SIGKILL', async () => {
    const stateDir = setup();
    const t = target();
    await waitFor(() => readProcStat(t.pid), 2000);
    const { proc, fault } = await controller(stateDir, t.pid, 2000, 'idle');
    expect(readProcStat(t.pid)?.state).toBe('T');
    const dead = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await dead;
    expect(readProcStat(t.pid)?.state).toBe('T'); // still paused: nobody reverted it early
    await waitFor(() => readProcStat(t.pid)?.state !== 'T', 8000);
    expect(within(Date.now(), fault.expiresAt, 1500)).toBe(true);
    // the guard appends its expiry right after executing the plan
    const expired = await waitFor(() => {
      const events = existsSync(eventsFile(stateDir)) ? readFileSync(eventsFile(stateDir), 'utf8').trim().split('\n') : [];
      return events.map((l) => JSON.parse(l) as { action: string; faultId: string; actor: string; outcome: string }).find((e) => e.action === 'expire');
    }, 3000);
    expect(expired).toMatchObject({ faultId: fault.id, actor: 'ttl-guard', outcome: 'ok' });
    expect(listActiveFaults(stateDir)).toEqual([]);
  });

  it('resumes the target at the TTL when the controller dies the moment the target is stopped (the guard runs first)', async () => {
    const stateDir = setup();
    const t = target();
    await waitFor(() => readProcStat(t.pid), 2000);
    const { fault, exit } = await controller(stateDir, t.pid, 1500, 'die-applying');
    expect(isSameProcess(fault.guardPid as number)).toBe(true);
    expect((await exit).signal).toBe('SIGKILL');
    expect(readProcStat(t.pid)?.state).toBe('T');
    expect(isSameProcess(fault.guardPid as number)).toBe(true);
    await waitFor(() => readProcStat(t.pid)?.state !== 'T', 8000);
    expect(within(Date.now(), fault.expiresAt, 1500)).toBe(true);
    const events = await waitFor(() => (existsSync(eventsFile(stateDir)) ? readFileSync(eventsFile(stateDir), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; faultId: string; actor: string }) : undefined), 3000);
    expect(events).toEqual([expect.objectContaining({ action: 'expire', faultId: fault.id, actor: 'ttl-guard' })]);
    await waitFor(() => listActiveFaults(stateDir).length === 0, 3000);
  });

  it('SIGINT to a controller holding its faults reverts them before the TTL', async () => {
    const stateDir = setup();
    const t = target();
    await waitFor(() => readProcStat(t.pid), 2000);
    const { proc, lines, exit } = await controller(stateDir, t.pid, 60_000, 'hold');
    expect(readProcStat(t.pid)?.state).toBe('T');
    proc.kill('SIGINT');
    expect(await exit).toEqual({ code: 130, signal: null, stderr: '' });
    expect(readProcStat(t.pid)?.state).not.toBe('T');
    expect(isSameProcess(t.pid)).toBe(true);
    expect(JSON.parse(lines[1] as string)).toEqual({ how: 'interrupted', events: ['inject', 'abort', 'revert'] });
    expect(listActiveFaults(stateDir)).toEqual([]);
  });

  it('a holding controller returns when its faults expire', async () => {
    const stateDir = setup();
    const t = target();
    await waitFor(() => readProcStat(t.pid), 2000);
    const { exit } = await controller(stateDir, t.pid, 800, 'hold');
    expect(await exit).toEqual({ code: 0, signal: null, stderr: '' });
    expect(readProcStat(t.pid)?.state).not.toBe('T');
  });
});

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { claimFault, finishClaim, listFaultFiles, waitForRevertsInFlight, writeFaultFile } from '../../../src/inject/process/active.js';
import { FAKETIME_OFFSET } from '../../../src/inject/process/faults/faketime.js';
import { PROCESS_FAULTS, findProcessFault } from '../../../src/inject/process/faults/index.js';
import { findLibfaketime, requireExecutable } from '../../../src/inject/process/tools.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isFaultlineError(e) ? e.code : String(e);
  }
}
const validate = (kind: string, params: Record<string, unknown>) => findProcessFault(kind)?.validate(params);

describe('the process fault registry', () => {
  it('registers each fault by name', () => {
    expect(Object.keys(PROCESS_FAULTS).sort()).toEqual(['breakmodule', 'clockdrift', 'corruptfile', 'cpu', 'dependency', 'disk', 'envdrift', 'hidebinary', 'kill', 'memory', 'pause', 'timeskew']);
    expect(findProcessFault('toString')).toBeUndefined();
  });

  it('normalises params with defaults and units', () => {
    expect(validate('kill', {})).toEqual({ signal: 'SIGKILL', restart: false });
    expect(validate('kill', { signal: 'usr1', restart: 'true' })).toEqual({ signal: 'SIGUSR1', restart: true });
    expect(validate('cpu', { workers: '2', load: '50' })).toEqual({ workers: 2, load: 50, tool: 'auto' });
    expect(validate('memory', { bytes: '256MiB' })).toEqual({ bytes: 256 * 1024 * 1024 });
    expect(validate('disk', { size: '1G', dir: '/tmp' })).toEqual({ size: 1024 ** 3, dir: '/tmp' });
    expect(validate('timeskew', { offset: '-30m' })).toEqual({ offset: '-30m' });
    expect(validate('clockdrift', { rate: '1.5' })).toEqual({ rate: 1.5, offset: '+0' });
  });

  it('rejects bad params with FL_ERR_INVALID_ARGUMENT naming the param', () => {
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['kill', { signal: 'SIGNOPE' }, 'signal'],
      ['kill', { restart: 'maybe' }, 'restart'],
      ['pause', { extra: 1 }, 'extra'],
      ['cpu', { load: 0 }, 'load'],
      ['cpu', { workers: 1.5 }, 'workers'],
      ['cpu', { tool: 'docker' }, 'tool'],
      ['memory', {}, 'bytes'],
      ['memory', { bytes: 'lots' }, 'memory.bytes'],
      ['disk', { dir: '/tmp' }, 'size'],
      ['timeskew', { offset: '2 hours' }, 'offset'],
      ['clockdrift', { rate: -1 }, 'rate'],
    ];
    for (const [kind, params, name] of bad) {
      let err: unknown;
      try {
        validate(kind, params);
      } catch (e) {
        err = e;
      }
      expect(isFaultlineError(err, 'FL_ERR_INVALID_ARGUMENT'), `${kind} ${JSON.stringify(params)}`).toBe(true);
      expect((err as Error).message).toContain(name);
    }
  });

  it('accepts libfaketime offsets and nothing else', () => {
    for (const ok of ['+2h', '-30m', '+90s', '-1d', '+1y', '+120', '+0', '+1.5h']) expect(FAKETIME_OFFSET.test(ok), ok).toBe(true);
    for (const bad of ['2h', '+2 h', '+2w', '', '+', 'now']) expect(FAKETIME_OFFSET.test(bad), bad).toBe(false);
  });
});

describe('tools', () => {
  it('names the Debian package when a tool is missing', () => {
    let err: unknown;
    try {
      requireExecutable('faultline-no-such-tool', 'no-such-package', 'the test fault');
    } catch (e) {
      err = e;
    }
    expect(isFaultlineError(err, 'FL_ERR_TOOL_MISSING')).toBe(true);
    expect((err as Error).message).toContain('apt-get install no-such-package');
    expect(codeOf(() => requireExecutable('sh', 'dash', 'x'))).toBeUndefined();
  });

  it('finds libfaketime on this machine', () => {
    expect(findLibfaketime()).toMatch(/libfaketime\.so\.1$/);
  });
});

describe('fault files', () => {
  it('are claimed exactly once', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'fl-unit-'));
    try {
      const fault = { id: 'p-1', kind: 'pause', layer: 'process' as const, target: { pid: 5 }, params: {}, ttlMs: 1000, startedAt: 1, expiresAt: 1001 };
      writeFaultFile({ version: 1, fault, plan: [], detail: {}, stateDir });
      expect(listFaultFiles(stateDir).map((f) => f.fault.id)).toEqual(['p-1']);
      expect(claimFault(stateDir, 'p-1')?.fault).toEqual(fault);
      expect(claimFault(stateDir, 'p-1')).toBeUndefined();
      expect(listFaultFiles(stateDir)).toEqual([]);
      finishClaim(stateDir, 'p-1');
      expect(readdirSync(join(stateDir, 'faults'))).toEqual([]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('in-flight reverts of dead claimers do not block', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'fl-unit-'));
    try {
      mkdirSync(join(stateDir, 'faults'));
      writeFileSync(join(stateDir, 'faults', 'p-2.json.reverting-4000000'), '{}');
      expect(await waitForRevertsInFlight(stateDir, 1000)).toBe(true);
      expect(readdirSync(join(stateDir, 'faults'))).toEqual([]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { commandLine, runCheck } from '../../../src/refactor/engine/checks.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fl-checks-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const node = (code: string, timeoutMs = 20_000) => ({ name: 'test', kind: 'test' as const, command: process.execPath, args: ['-e', code], cwd: dir, timeoutMs });

describe('refactor engine: checks', () => {
  it('exit 0 passes; a non-zero exit fails with the output tail', async () => {
    expect(await runCheck(node('process.exit(0)'))).toMatchObject({ ok: true, exitCode: 0, timedOut: false, detail: 'exit 0' });
    const r = await runCheck(node('console.error("assertion: 1 !== 2"); process.exit(3)'));
    expect(r).toMatchObject({ ok: false, exitCode: 3 });
    expect(r.detail).toBe('exit 3\nassertion: 1 !== 2');
  });

  it('runs a shell command line in the given folder', async () => {
    const r = await runCheck({ name: 'test', kind: 'test', command: 'pwd > here.txt && test -s here.txt', args: [], shell: true, cwd: dir, timeoutMs: 20_000 });
    expect(r.ok).toBe(true);
    expect(existsSync(join(dir, 'here.txt'))).toBe(true);
  });

  it('a timeout kills the whole process group, grandchildren included', async () => {
    const marker = join(dir, 'grandchild-survived');
    // the child starts a grandchild that would write the marker after 1.5 s, then both hang
    const grandchild = `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'), 1500)`;
    const code = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' }); setInterval(() => {}, 1000);`;
    const t0 = Date.now();
    const r = await runCheck(node(code, 300));
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(r.detail).toMatch(/^timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(1400);
    await new Promise((res) => setTimeout(res, 1800)); // past the grandchild's deadline: the marker must not appear
    expect(existsSync(marker)).toBe(false);
  });

  it('a judge decides from the output when the exit code does not carry the verdict', async () => {
    const r = await runCheck({ ...node('console.log(JSON.stringify({held: false}))'), kind: 'experiment', judge: (o) => ({ ok: JSON.parse(o.stdout).held === true, detail: 'steady state violated' }) });
    expect(r).toMatchObject({ ok: false, exitCode: 0 });
    expect(r.detail.split('\n')[0]).toBe('steady state violated');
  });

  it('a command that cannot start is FL_ERR_REFACTOR_CHECK', async () => {
    const e = await runCheck({ name: 'test', kind: 'test', command: join(dir, 'no-such-bin'), args: [], cwd: dir, timeoutMs: 1000 }).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_REFACTOR_CHECK')).toBe(true);
  });

  it('quotes arguments in the printed command line', () => {
    expect(commandLine({ command: 'node', args: ['a b', "it's", '-p', 'tsconfig.json'] })).toBe(`node 'a b' 'it'\\''s' -p tsconfig.json`);
  });
});

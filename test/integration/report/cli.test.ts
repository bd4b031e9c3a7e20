// `faultline report`: the command as registered on a real commander program with the real CLI context.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../../src/cli/commands/report.js';
import { createContext, type GlobalOptions } from '../../../src/cli/create-context.js';
import { FIXTURE, findAll, parseXml } from '../../unit/report/helpers.js';

async function run(args: string[]): Promise<{ stdout: string; error?: { code: string; exitCode: number; message: string } }> {
  const program = new Command('faultline').option('--json').option('-c, --config <file>').exitOverride();
  register(program, () => createContext(program.opts<GlobalOptions>()));
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout };
  } catch (e) {
    const err = e as { code: string; exitCode: number; message: string };
    return { stdout, error: { code: err.code, exitCode: err.exitCode, message: err.message } };
  } finally {
    spy.mockRestore();
  }
}

describe('faultline report', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const temp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'fl-report-cli-'));
    dirs.push(d);
    return d;
  };

  it('prints the text summary by default, and recomputes recommendations with --recommend', async () => {
    const plain = await run(['report', FIXTURE, '--no-color']);
    expect(plain.error).toBeUndefined();
    expect(plain.stdout).toContain('pricing latency and fetchPrice errors — completed, deviated');
    expect(plain.stdout).not.toContain('Recommendations');
    const rec = await run(['report', FIXTURE, '--recommend']);
    expect(rec.stdout).toContain('[high] Catch errors from priceOf and degrade at the caller (recipe guard-call)');
    expect(rec.stdout).not.toContain('\u001b[');
  });

  it('renders junit, html and json to stdout or to --out', async () => {
    const junit = await run(['report', FIXTURE, '--format', 'junit']);
    expect(findAll(parseXml(junit.stdout), 'testcase')).toHaveLength(8);
    const dir = temp();
    const out = join(dir, 'r.html');
    const html = await run(['--json', 'report', FIXTURE, '--format', 'html', '--out', out]);
    expect(JSON.parse(html.stdout)).toEqual({ format: 'html', out, report: 'run-m86q2x1k-7f3a', status: 'completed', deviated: true });
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
    const json = await run(['report', FIXTURE, '--format', 'json']);
    expect(JSON.parse(json.stdout).id).toBe('run-m86q2x1k-7f3a');
    const jsonFlag = await run(['--json', 'report', FIXTURE]);
    expect(JSON.parse(jsonFlag.stdout).title).toBe('pricing latency and fetchPrice errors');
  });

  it('exits 2 naming the file and field when the JSON is not a run report, or the format is unknown', async () => {
    const dir = temp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(FIXTURE, 'utf8')), deviated: 'no' }));
    const r = await run(['report', bad]);
    expect(r.error).toMatchObject({ code: 'FL_ERR_REPORT_INVALID', exitCode: 2 });
    expect(r.error!.message).toContain(`${bad}: deviated: expected true or false, got "no"`);
    expect((await run(['report', join(dir, 'missing.json')])).error).toMatchObject({ code: 'FL_ERR_REPORT_READ', exitCode: 2 });
    expect((await run(['report', FIXTURE, '--format', 'pdf'])).error).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', exitCode: 2 });
    expect((await run(['report', FIXTURE, '--out', join(dir, 'no/such/dir/x.txt')])).error).toMatchObject({ code: 'FL_ERR_REPORT_WRITE' });
  });
});

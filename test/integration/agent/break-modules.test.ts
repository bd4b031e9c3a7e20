import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, FIXTURES, REGISTER } from './helpers.js';

const PROBE = join(FIXTURES, 'break-probe.mjs');
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'fl-break-'));
  writeFileSync(join(dir, 'report.mjs'), 'export const x = 1;\n');
  writeFileSync(join(dir, 'pdf.cjs'), 'module.exports = 1;\n');
  writeFileSync(join(dir, 'settings.json'), '{"a": 1}\n');
  writeFileSync(join(dir, 'ok.mjs'), 'export const y = 2;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Line {
  module: string;
  ok?: boolean;
  error?: { name: string; message: string; isSyntaxError: boolean };
}

function probe(breakModules: string | undefined, modules: string[]): Promise<{ lines: Line[]; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, FAULTLINE_STATE_DIR: dir, FAULTLINE_AGENT_INCLUDE: `${dir}/**` };
  if (breakModules !== undefined) env.FAULTLINE_AGENT_BREAK_MODULES = breakModules;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', REGISTER, PROBE, ...modules.map((m) => join(dir, m))], { env, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ lines: stdout.trim().split('\n').map((l) => JSON.parse(l) as Line), stderr });
    });
  });
}

const injected = (m: string) => ({ module: join(dir, m), error: { name: 'SyntaxError', isSyntaxError: true, message: `faultline: injected load failure of ${join(dir, m)}` } });

describe('FAULTLINE_AGENT_BREAK_MODULES', () => {
  it('import of an ESM module and require of a CJS or JSON module throw the injected SyntaxError; others load', async () => {
    const { lines } = await probe('report.mjs, *.cjs,settings.json', ['report.mjs', 'pdf.cjs', 'settings.json', 'ok.mjs']);
    expect(lines).toEqual([injected('report.mjs'), injected('pdf.cjs'), injected('settings.json'), { module: join(dir, 'ok.mjs'), ok: true }]);
  });

  it('without the variable every module loads', async () => {
    const { lines } = await probe(undefined, ['report.mjs', 'pdf.cjs']);
    expect(lines.every((l) => l.ok)).toBe(true);
  });

  it('a malformed value warns on stderr and is ignored: the target runs and loads everything', async () => {
    const { lines, stderr } = await probe('report.mjs,**', ['report.mjs', 'pdf.cjs']);
    expect(lines.every((l) => l.ok)).toBe(true);
    expect(stderr).toContain('[faultline-agent] FAULTLINE_AGENT_BREAK_MODULES: "**" matches every module');
  });
});

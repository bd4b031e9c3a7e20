/**
 * Risk-gated promotion end to end, through the CLI, on a real supervised service: `faultline up` runs
 * `node current/server.mjs`; release 1.0.0 is promoted and stable; 2.0.0 is promoted with --deploy (the
 * `current` link switched, the service restarted) and watched; a real fault (`faultline inject pause`, SIGSTOP)
 * makes it fail its health checks inside the window; faultline rolls it back to 1.0.0 by itself (the previous
 * release serves again), records both releases, and the next gate asks the module for more coverage.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startCli, tempDir, waitFor } from '../cli/helpers.js';

const server = (version: string): string => `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  if (req.url === '/health') return void res.end('ok');
  res.end('release ${version}');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

async function body(port: number): Promise<string | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return await r.text();
  } catch {
    return undefined;
  }
}

describe('faultline promote: watch window, automatic rollback, raised threshold', () => {
  const tmp = tempDir('fl-promote-e2e-');
  const dir = tmp.dir;
  let port = 0;
  const cli = (...args: string[]) => runCli(['--config', join(dir, 'faultline.yaml'), ...args], {}, dir);

  beforeAll(async () => {
    port = await freePort();
    for (const v of ['1.0.0', '2.0.0']) {
      mkdirSync(join(dir, 'releases', v), { recursive: true });
      writeFileSync(join(dir, 'releases', v, 'server.mjs'), server(v));
    }
    symlinkSync(join('releases', '1.0.0'), join(dir, 'current'));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'test'));
    writeFileSync(
      join(dir, 'src', 'price.mjs'),
      `export function price(cents, discountPct) {\n  if (discountPct < 0 || discountPct > 100) throw new RangeError('discount out of range');\n  return Math.round(cents * (1 - discountPct / 100));\n}\n\nexport function label(cents) {\n  return (cents / 100).toFixed(2) + ' EUR';\n}\n`,
    );
    writeFileSync(join(dir, 'test', 'price.test.mjs'), `import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { price, label } from '../src/price.mjs';\ntest('price', () => {\n  assert.equal(price(1000, 10), 900);\n  assert.throws(() => price(1000, 120));\n  assert.equal(label(250), '2.50 EUR');\n});\n`);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'web', version: '1.0.0', type: 'module', scripts: { test: 'node --test test/' } }, null, 2));
    writeFileSync(
      join(dir, 'faultline.yaml'),
      `version: 1
services:
  web:
    command: node current/server.mjs
    port: ${port}
    env: { PORT: ${port} }
    health: { http: "http://127.0.0.1:${port}/health", timeout: 10s }
promote:
  baseCoverage: 80
  modules:
    - { name: web, path: src, service: web, criticality: high }
  watch: { window: 30s, interval: 300ms, failAfter: 2 }
  rollback: { adapter: symlink, releasesDir: releases, current: current }
`,
    );
    writeFileSync(join(dir, '.gitignore'), '.faultline/\ncurrent\n');
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'web service');
    const up = await cli('up');
    expect(up.code, up.stderr).toBe(0);
    await waitFor(async () => ((await body(port)) === 'release 1.0.0' ? true : undefined), 20_000, 'release 1.0.0 to serve');
  }, 60_000);

  afterAll(async () => {
    await cli('revert');
    await cli('down');
    tmp.cleanup();
  }, 30_000);

  it('rolls a failing promotion back to the previous release and raises the bar', async () => {
    const first = await cli('--json', 'promote', 'web', '1.0.0', '--run-tests', '--no-watch');
    expect(first.code, first.stderr).toBe(0);
    const v1 = JSON.parse(first.stdout) as { release: { id: string; status: string; coverage: number } };
    expect(v1.release.status).toBe('stable');
    expect(v1.release.coverage).toBe(100);

    const before = await cli('--json', 'gate', '--run-tests');
    expect(before.code, before.stderr).toBe(0);
    const gate0 = JSON.parse(before.stdout) as { modules: { result: { module: string; requiredCoverage: number; raise: number } }[] };
    const web0 = gate0.modules.find((m) => m.result.module === 'web')?.result;
    expect(web0?.raise).toBe(0);

    // 2.0.0: deployed (current → releases/2.0.0, service restarted), then watched
    const promote = startCli(['--config', join(dir, 'faultline.yaml'), '--json', 'promote', 'web', '2.0.0', '--deploy', '--run-tests', '--watch', '30s'], {}, dir);
    await waitFor(async () => ((await body(port)) === 'release 2.0.0' ? true : undefined), 30_000, 'release 2.0.0 to serve');
    // a real fault inside the watch window: the service's process is stopped (SIGSTOP), its health checks time out
    const fault = await cli('inject', 'pause', '--service', 'web', '--ttl', '20s');
    expect(fault.code, fault.stderr).toBe(0);
    const done = await promote.done;
    expect(done.code, done.stderr).toBe(1);
    const out = JSON.parse(done.stdout) as {
      release: { id: string; version: string; status: string; rollback: { to: string; reason: string; adapter: string } };
      rolledBackTo: { id: string; version: string };
      verdict: { ok: boolean; reason: string };
      nextGate: { requiredCoverage: number; raise: number };
    };
    expect(out.verdict.ok).toBe(false);
    expect(out.verdict.reason).toMatch(/health/);
    expect(out.release.status).toBe('rolled-back');
    expect(out.rolledBackTo.version).toBe('1.0.0');
    expect(out.release.rollback.to).toBe(v1.release.id);
    expect(out.release.rollback.adapter).toBe('symlink');

    // the previous release serves again, through the switched link and a restarted (unpaused) process
    expect(readlinkSync(join(dir, 'current'))).toMatch(/releases\/1\.0\.0$/);
    await waitFor(async () => ((await body(port)) === 'release 1.0.0' ? true : undefined), 20_000, 'release 1.0.0 to serve again');

    // the registry has both promotions as they ended
    const lines = readFileSync(join(dir, '.faultline', 'releases.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; version: string; status: string });
    const last = new Map(lines.map((r) => [r.id, r]));
    expect([...last.values()].map((r) => [r.version, r.status])).toEqual([
      ['1.0.0', 'stable'],
      ['2.0.0', 'rolled-back'],
    ]);

    // the next gate needs more coverage: one raise step (5 points) after the rollback
    expect(out.nextGate.raise).toBe(5);
    const after = await cli('--json', 'gate', '--run-tests');
    const web1 = (JSON.parse(after.stdout) as typeof gate0).modules.find((m) => m.result.module === 'web')?.result;
    expect(web1?.raise).toBe(5);
    expect(web1?.requiredCoverage).toBeCloseTo((web0?.requiredCoverage ?? 0) + 5, 5);

    // a manual rollback of the live 1.0.0 has nowhere to go: nothing stable before it
    const manual = await cli('--json', 'rollback', 'web');
    expect(manual.code).toBe(4);
    expect(manual.stderr + manual.stdout).toMatch(/FL_ERR_ROLLBACK_NO_PREVIOUS/);
  }, 120_000);
});

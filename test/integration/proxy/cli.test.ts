import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, echoServer, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const FIXTURE = join(import.meta.dirname, 'fixtures', 'cli.ts');

function run(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  cleanup.add(() => void (child.exitCode === null && child.kill('SIGKILL')));
  return { child, out: () => out, err: () => err, exit };
}

describe('faultline proxy CLI', () => {
  it('serve populates config proxies; toxic add/list/remove talk to it; SIGTERM reverts every toxic and exits 0', async () => {
    const { addr } = await echoServer(cleanup);
    const dir = mkdtempSync(join(tmpdir(), 'fl-proxy-cli-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const env = {
      FL_TEST_LEDGER: join(dir, 'ledger.jsonl'),
      FL_TEST_CONFIG: JSON.stringify({ proxy: { listen: '127.0.0.1:8474', proxies: [{ name: 'db', listen: '127.0.0.1:0', upstream: addr }] }, defaults: { ttlMs: 60_000, seed: 5 } }),
    };
    const t0 = performance.now();
    const serve = run(['--json', 'proxy', 'serve', '--port', '0', '--default-ttl', '2m'], env);
    const started = await waitFor(() => {
      try {
        return JSON.parse(serve.out()) as { api: string; seed: number; defaultToxicTtlMs: number; proxies: Array<{ name: string }> };
      } catch {
        return undefined;
      }
    }, 20_000);
    const startupMs = performance.now() - t0;
    expect(started.seed).toBe(5);
    expect(started.defaultToxicTtlMs).toBe(120_000);
    expect(started.proxies.map((p) => p.name)).toEqual(['db']);
    expect(startupMs).toBeLessThan(15_000);

    const add = run(['--json', 'proxy', 'toxic', 'add', 'db', '-t', 'latency', '-a', 'latency=50', '-a', 'jitter=5', '--ttl', '30s', '--api', started.api], env);
    expect(await add.exit).toBe(0);
    expect(JSON.parse(add.out())).toMatchObject({ name: 'latency_downstream', attributes: { latency: 50, jitter: 5 }, ttl: 30_000 });

    const list = run(['proxy', 'list', '--api', started.api], env);
    expect(await list.exit).toBe(0);
    expect(list.out()).toMatch(/db\s+127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+\n\s+latency_downstream \(latency, downstream, toxicity 1\)/);

    const bad = run(['proxy', 'toxic', 'add', 'nope', '-t', 'latency', '--api', started.api], env);
    expect(await bad.exit).toBe(2);
    expect(bad.err()).toMatch(/proxy not found: nope/);

    const down = run(['proxy', 'list', '--api', 'http://127.0.0.1:1'], env);
    expect(await down.exit).toBe(5);

    const rm = run(['proxy', 'toxic', 'remove', 'db', 'latency_downstream', '--api', started.api], env);
    expect(await rm.exit).toBe(0);
    const again = run(['proxy', 'toxic', 'add', 'db', '-t', 'slicer', '-a', 'average_size=10', '--api', started.api], env);
    expect(await again.exit).toBe(0);

    serve.child.kill('SIGTERM');
    expect(await serve.exit).toBe(0);
    const events = readFileSync(env.FL_TEST_LEDGER, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; kind: string });
    expect(events.map((e) => `${e.action}:${e.kind}`)).toEqual(['inject:latency', 'revert:latency', 'inject:slicer', 'revert:slicer']);
  });
});

describe('proxy serve start-up path', () => {
  it('loads neither better-sqlite3 nor the ledger module when the proxy API starts', async () => {
    const probe = [
      "const { createProxyServer } = await import('./src/inject/proxy/index.ts');",
      'const t = performance.now();',
      'const s = createProxyServer({ port: 0 });',
      'await s.listen();',
      "const { createRequire } = await import('node:module');",
      'const cache = Object.keys(createRequire(import.meta.url).cache);',
      "process.stdout.write(JSON.stringify({ ms: performance.now() - t, sqlite: cache.some((k) => k.includes('better-sqlite3')) }));",
      'await s.close();',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: join(import.meta.dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.on('exit', r));
    const r = JSON.parse(out) as { ms: number; sqlite: boolean };
    expect(r.sqlite).toBe(false);
    expect(r.ms).toBeLessThan(1000);
  });
});

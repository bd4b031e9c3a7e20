import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram, renderCliDoc } from '../../../src/cli/program.js';
import { ROOT, freePort, runCli, startCli, tempDir, waitFor } from './helpers.js';

describe('the faultline command line', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('every command has a description, and docs/reference/cli.md is generated from them (node scripts/gen-cli-doc.mjs)', () => {
    const walk = (c: ReturnType<typeof buildProgram>, path: string): string[] => c.commands.flatMap((s) => [...(s.description() ? [] : [`${path} ${s.name()}`]), ...walk(s, `${path} ${s.name()}`)]);
    expect(walk(buildProgram(), 'faultline')).toEqual([]);
    expect(readFileSync(join(ROOT, 'docs/reference/cli.md'), 'utf8')).toBe(renderCliDoc());
  });

  it('an invalid faultline.yaml exits 2 naming file:line:col and field; --json gives the error object', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'faultline.yaml');
    writeFileSync(file, 'services:\n  api:\n    comand: node x.js\n');
    const r = await runCli(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:3 services.api.command: is required`);
    expect(r.stderr).toContain(`${file}:3:5 services.api.comand: unknown field; did you mean "command"?`);
    const j = await runCli(['--json', 'config', 'check', '--config', file]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'FL_ERR_CONFIG_INVALID', statusCode: 400 } });
    const missing = await runCli(['config', 'check', '--config', join(t.dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('FL_ERR_CONFIG_NOT_FOUND');
  });

  it('unknown commands and options exit 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['loop', '--bogus'])).code).toBe(2);
  });

  it('init writes a starter config that passes config check', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, 'package.json'), JSON.stringify({ name: '@acme/orders', scripts: { start: 'node server.js' } }));
    writeFileSync(join(t.dir, 'server.js'), "require('http').createServer(() => {}).listen(process.env.PORT || 4321)");
    const r = await runCli(['--json', 'init'], {}, t.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ service: 'orders', command: 'npm start', port: 4321 });
    expect((await runCli(['config', 'check'], {}, t.dir)).code).toBe(0);
    expect((await runCli(['init'], {}, t.dir)).code).toBe(2); // refuses to overwrite
  });

  it('faults and revert see every layer: a proxy toxic injected with `inject latency --proxy` is listed, reverted, and in the ledger', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const api = await freePort();
    const link = await freePort();
    const file = join(t.dir, 'faultline.yaml');
    writeFileSync(file, `proxy:\n  listen: 127.0.0.1:${api}\n  proxies:\n    - { name: db, listen: "127.0.0.1:${link}", upstream: "127.0.0.1:1" }\nsafeZones:\n  proxies: [payments]\n`);
    const serve = startCli(['proxy', 'serve', '--config', file, '--port', String(api)]);
    cleanups.push(() => serve.child.kill('SIGKILL'));
    await waitFor(() => /listening/.test(serve.stdout()) || undefined, 15_000, 'proxy serve');
    const inj = await runCli(['--json', 'inject', 'latency', '--proxy', 'db', '--latency', '250', '--ttl', '1m', '--config', file]);
    expect(inj.code, inj.stderr).toBe(0);
    expect(JSON.parse(inj.stdout)).toMatchObject({ type: 'latency', attributes: { latency: 250 } });
    const listed = JSON.parse((await runCli(['--json', 'faults', '--config', file])).stdout) as { faults: { id: string; layer: string }[] };
    expect(listed.faults).toEqual([expect.objectContaining({ id: 'db/latency_downstream', layer: 'proxy' })]);
    const unknown = await runCli(['revert', 'nope', '--config', file]);
    expect(unknown.code).toBe(2);
    const rev = await runCli(['--json', 'revert', '--config', file]);
    expect(JSON.parse(rev.stdout)).toEqual([expect.objectContaining({ id: 'db/latency_downstream', outcome: 'reverted' })]);
    expect((JSON.parse((await runCli(['--json', 'faults', '--config', file])).stdout) as { faults: unknown[] }).faults).toEqual([]);
    serve.child.kill('SIGTERM');
    await serve.done;
    const ledger = JSON.parse((await runCli(['--json', 'ledger', '--config', file])).stdout) as { action: string; kind: string }[];
    expect(ledger.filter((e) => e.kind === 'latency').map((e) => e.action)).toEqual(['inject', 'revert']);
  });
});

// The kubectl adapter against a fake kubectl that answers with recorded real kubectl output
// (test/fixtures/promote/kubectl/recorded.mjs) and logs every argv: no cluster needed.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubectlAdapter, createRollbackAdapter } from '../../../src/promote/rollback/index.js';
import { failure } from './failure.js';

const FAKE = fileURLToPath(new URL('../../fixtures/promote/kubectl/fake-kubectl.mjs', import.meta.url));

const v1 = { module: 'api', version: '1.0.0', artifact: 'registry.local/api:1.0.0' };
const v2 = { module: 'api', version: '2.0.0', artifact: 'registry.local/api:2.0.0' };

describe('kubectl rollback adapter (recorded kubectl)', () => {
  let dir = '';
  let log = '';
  const saved = { PATH: process.env.PATH, LOG: process.env.FAKE_KUBECTL_LOG, DEPLOYMENTS: process.env.FAKE_KUBECTL_DEPLOYMENTS, STUCK: process.env.FAKE_KUBECTL_STUCK };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fl-kubectl-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\nexec "${process.execPath}" "${FAKE}" "$@"\n`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    log = join(dir, 'argv.jsonl');
    process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
    process.env.FAKE_KUBECTL_LOG = log;
    process.env.FAKE_KUBECTL_DEPLOYMENTS = 'api:api,worker:main';
    delete process.env.FAKE_KUBECTL_STUCK;
  });
  afterEach(() => {
    for (const [k, v] of [['PATH', saved.PATH], ['FAKE_KUBECTL_LOG', saved.LOG], ['FAKE_KUBECTL_DEPLOYMENTS', saved.DEPLOYMENTS], ['FAKE_KUBECTL_STUCK', saved.STUCK]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const calls = (): string[][] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);

  it('rollback: rollout undo, then rollout status with the timeout in seconds, in context and namespace', async () => {
    const a = createKubectlAdapter({ deployment: 'api', namespace: 'shop', context: 'kind-shop', timeoutMs: 120_000 });
    const out = await a.rollback(v1, v2);
    expect(calls()).toEqual([
      ['--context', 'kind-shop', '-n', 'shop', 'rollout', 'undo', 'deployment/api'],
      ['--context', 'kind-shop', '-n', 'shop', 'rollout', 'status', 'deployment/api', '--timeout=120s'],
    ]);
    expect(out.adapter).toBe('kubectl');
    expect(out.actions).toEqual([
      'kubectl --context kind-shop -n shop rollout undo deployment/api → deployment.apps/api rolled back',
      'kubectl --context kind-shop -n shop rollout status deployment/api --timeout=120s → deployment "api" successfully rolled out',
    ]);
    expect(out.ms).toBeGreaterThan(0);
  });

  it('rollback to a revision: --to-revision=N, and a revision past the history is kubectl\'s error', async () => {
    await createKubectlAdapter({ deployment: 'api', namespace: 'shop', timeoutMs: 1500, toRevision: 2 }).rollback(v1, v2);
    expect(calls()).toEqual([
      ['-n', 'shop', 'rollout', 'undo', 'deployment/api', '--to-revision=2'],
      ['-n', 'shop', 'rollout', 'status', 'deployment/api', '--timeout=2s'],
    ]);
    const f = await failure(createKubectlAdapter({ deployment: 'api', namespace: 'shop', timeoutMs: 5000, toRevision: 3 }).rollback(v1, v2));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toContain('`kubectl -n shop rollout undo deployment/api --to-revision=3` exited 1: error: unable to find specified revision 3 in history');
    expect(calls()).toHaveLength(3); // no status after a failed undo
  });

  it('a deployment that does not exist: FL_ERR_ROLLBACK_FAILED with kubectl\'s NotFound error', async () => {
    const f = await failure(createKubectlAdapter({ deployment: 'nope', namespace: 'shop', timeoutMs: 5000 }).rollback(v1, v2));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toBe('kubectl rollback: `kubectl -n shop rollout undo deployment/nope` exited 1: Error from server (NotFound): deployments.apps "nope" not found');
    expect(calls()).toEqual([['-n', 'shop', 'rollout', 'undo', 'deployment/nope']]);
  });

  it('a rollout that does not finish in time fails with kubectl\'s timeout error', async () => {
    process.env.FAKE_KUBECTL_STUCK = '1';
    const f = await failure(createKubectlAdapter({ deployment: 'api', timeoutMs: 30_000 }).rollback(v1, v2));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toContain('`kubectl rollout status deployment/api --timeout=30s` exited 1: error: timed out waiting for the condition');
    expect(calls()).toEqual([
      ['rollout', 'undo', 'deployment/api'],
      ['rollout', 'status', 'deployment/api', '--timeout=30s'],
    ]);
  });

  it('deploy: set image CONTAINER=ARTIFACT, then rollout status', async () => {
    const out = await createKubectlAdapter({ deployment: 'worker', namespace: 'shop', container: 'main', timeoutMs: 60_000 }).deploy?.(v2);
    expect(calls()).toEqual([
      ['-n', 'shop', 'set', 'image', 'deployment/worker', 'main=registry.local/api:2.0.0'],
      ['-n', 'shop', 'rollout', 'status', 'deployment/worker', '--timeout=60s'],
    ]);
    expect(out?.actions[0]).toBe('kubectl -n shop set image deployment/worker main=registry.local/api:2.0.0 → deployment.apps/worker image updated');
  });

  it('deploy: a wrong container is kubectl\'s error; no artifact or no container is refused before running kubectl', async () => {
    const wrong = await failure(createKubectlAdapter({ deployment: 'worker', container: 'web', timeoutMs: 5000 }).deploy?.(v2) ?? Promise.resolve());
    expect(wrong.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(wrong.message).toContain('error: unable to find container named "web"');
    expect(calls()).toHaveLength(1);
    const noArtifact = await failure(createKubectlAdapter({ deployment: 'api', container: 'api', timeoutMs: 5000 }).deploy?.({ module: 'api', version: '2.0.0' }) ?? Promise.resolve());
    expect(noArtifact.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(noArtifact.message).toMatch(/has no artifact/);
    const noContainer = await failure(createKubectlAdapter({ deployment: 'api', timeoutMs: 5000 }).deploy?.(v2) ?? Promise.resolve());
    expect(noContainer.message).toMatch(/promote\.rollback\.kubectl\.container/);
    expect(calls()).toHaveLength(1);
  });

  it('a kubectl that cannot be run: FL_ERR_ROLLBACK_FAILED saying how to fix it', async () => {
    const f = await failure(createKubectlAdapter({ deployment: 'api', timeoutMs: 5000, kubectl: join(dir, 'no-such-kubectl') }).rollback(v1, v2));
    expect(f.code).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(f.message).toMatch(/cannot run `.*no-such-kubectl rollout undo deployment\/api`: .*ENOENT.*install kubectl or set promote\.rollback\.kubectl\.binary/);
  });

  it('is built from promote.rollback of faultline.yaml, with the configured binary', async () => {
    process.env.PATH = '/usr/bin:/bin'; // the fake is found only through kubectl.binary
    const a = createRollbackAdapter({ adapter: 'kubectl', releasesDir: '/x', current: '/y', timeoutMs: 90_000, kubectl: { deployment: 'api', namespace: 'shop', binary: join(dir, 'bin', 'kubectl') } });
    expect(a.name).toBe('kubectl');
    await a.rollback(v1, v2);
    expect(calls()).toEqual([
      ['-n', 'shop', 'rollout', 'undo', 'deployment/api'],
      ['-n', 'shop', 'rollout', 'status', 'deployment/api', '--timeout=90s'],
    ]);
  });
});

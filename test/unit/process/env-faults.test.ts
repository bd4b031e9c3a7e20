import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { bindCard } from '../../../src/experiment/cards/bind.js';
import { findCardOrThrow, KNOWN_KINDS, loadCatalogue } from '../../../src/experiment/cards/load.js';
import { findProcessFault, type ApplyContext, type ResolvedTarget } from '../../../src/inject/process/faults/index.js';
import { resolvePathExecutables } from '../../../src/inject/process/faults/hidebinary.js';
import { Supervisor } from '../../../src/inject/process/supervisor.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fl-envfaults-'));
  dirs.push(d);
  return d;
};

const fault = (kind: string) => {
  const f = findProcessFault(kind);
  if (!f) throw new Error(`${kind} is not registered`);
  return f;
};

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return { message: (e as Error).message, ...(isFaultlineError(e) ? { code: e.code } : {}) };
  }
  throw new Error('expected a throw');
}

function svc(extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return { name: 'web', command: 'node server.js', cwd: tmpdir(), env: {}, dependsOn: [], agent: false, stopTimeoutMs: 1000, ...extra };
}
const target = (config: ServiceConfig, record: Partial<NonNullable<NonNullable<ResolvedTarget['service']>['record']>> = {}): ResolvedTarget => ({
  target: { service: config.name },
  group: true,
  service: { name: config.name, config, record: { name: config.name, pid: 1234, startTimeTicks: 1, command: config.command, startedAt: 0, attached: false, ...record } },
});
const ctx = (stateDir = '/state'): ApplyContext => ({ id: 'p-test', stateDir, services: new Supervisor({ services: [], stateDir }), ttlMs: 1000, expiresAt: 0 });

describe('envdrift params', () => {
  const v = (p: Record<string, unknown>) => fault('envdrift').validate(p);
  it('accepts a mapping, NAME=value strings (one or a list) and unset as a list or a comma-separated string', () => {
    expect(v({ set: { LOG_LEVEL: 'debug', POOL: 1, TLS: false } })).toEqual({ set: { LOG_LEVEL: 'debug', POOL: '1', TLS: 'false' }, unset: [] });
    expect(v({ set: 'URL=http://a/?x=1,y' })).toEqual({ set: { URL: 'http://a/?x=1,y' }, unset: [] });
    expect(v({ set: ['A=1', 'B='], unset: 'C, D' })).toEqual({ set: { A: '1', B: '' }, unset: ['C', 'D'] });
  });
  it('names the param in every refusal', () => {
    expect(errorOf(() => v({}))).toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', message: expect.stringContaining('"set" or param "unset" is required') });
    expect(errorOf(() => v({ set: { FAULTLINE_AGENT_FAULTS: '[]' } })).message).toMatch(/param "set" .*FAULTLINE_\* variables/);
    expect(errorOf(() => v({ unset: ['faultline_state_dir'] })).message).toMatch(/param "unset"/);
    expect(errorOf(() => v({ set: '=1' })).message).toContain('NAME=value');
    expect(errorOf(() => v({ set: { '1BAD': 'x' } })).message).toContain('not an environment variable name');
    expect(errorOf(() => v({ set: { A: '1' }, unset: ['A'] })).message).toMatch(/param "unset" names "A", which param "set" sets too/);
    expect(errorOf(() => v({ set: { A: { b: 1 } } })).message).toMatch(/param "set" value of "A"/);
    expect(errorOf(() => v({ sets: 'A=1' })).message).toMatch(/param "sets" is not a param of envdrift/);
  });
  it('refuses NODE_OPTIONS when it loads the agent by hand, a service faultline does not start, and a service whose environment another fault changed', () => {
    const p = v({ set: { NODE_OPTIONS: '--max-old-space-size=64' } });
    const byHand = svc({ env: { NODE_OPTIONS: '--import faultline/agent' } });
    expect(errorOf(() => fault('envdrift').planAhead?.(ctx(), target(byHand), p)).message).toMatch(/param "set" names NODE_OPTIONS, which loads the faultline agent/);
    expect(fault('envdrift').planAhead?.(ctx(), target(svc({ agent: true })), p)).toEqual([{ op: 'restart-service', service: svc({ agent: true }), stateDir: '/state' }]);
    expect(errorOf(() => fault('envdrift').planAhead?.(ctx(), target(svc(), { attached: true }), p)).message).toMatch(/was attached, not started by faultline/);
    expect(errorOf(() => fault('envdrift').planAhead?.(ctx(), target(svc(), { overrides: { FAKETIME: '+2h' } }), p))).toMatchObject({ code: 'FL_ERR_PROCESS_FAULT', message: expect.stringContaining('(FAKETIME)') });
  });
});

describe('hidebinary', () => {
  function pathDirs(): { a: string; b: string; root: string } {
    const root = tmp();
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(a);
    mkdirSync(b);
    const exe = (file: string, mode = 0o755) => {
      writeFileSync(file, '#!/bin/sh\n');
      chmodSync(file, mode);
    };
    exe(join(a, 'tool'));
    exe(join(b, 'tool'));
    exe(join(b, 'other'));
    exe(join(a, 'notexec'), 0o644);
    mkdirSync(join(a, 'subdir'));
    return { a, b, root };
  }
  it('resolves every executable name on PATH, first folder first, skipping non-executables, folders and missing folders', () => {
    const { a, b, root } = pathDirs();
    const m = resolvePathExecutables(['a', '', '/nonexistent', b].join(':'), root);
    expect(m.get('tool')).toBe(join(a, 'tool'));
    expect(m.get('other')).toBe(join(b, 'other'));
    expect(m.has('notexec')).toBe(false);
    expect(m.has('subdir')).toBe(false);
  });
  it('validates names and plans a restart then the removal of its folder; refuses a name the PATH does not resolve', () => {
    const { a, b } = pathDirs();
    const f = fault('hidebinary');
    expect(f.validate({ names: 'tool, other' })).toEqual({ names: ['tool', 'other'] });
    expect(errorOf(() => f.validate({})).message).toMatch(/param "names" is required/);
    expect(errorOf(() => f.validate({ names: ['/usr/bin/git'] })).message).toMatch(/param "names" holds "\/usr\/bin\/git"; give executable names/);
    const config = svc({ env: { PATH: `${a}:${b}` } });
    expect(f.planAhead?.(ctx('/state'), target(config), { names: ['tool'] })).toEqual([
      { op: 'restart-service', service: config, stateDir: '/state' },
      { op: 'remove-dir', path: '/state/hidden-binaries/p-test' },
    ]);
    expect(errorOf(() => f.planAhead?.(ctx(), target(config), { names: ['tool', 'ffmpeg-nowhere'] })).message).toMatch(/param "names" names "ffmpeg-nowhere", which the PATH of service "web" does not resolve/);
  });
});

describe('breakmodule params', () => {
  it('takes module patterns (a list or comma-separated), refuses one matching every module and a service without the agent', () => {
    const f = fault('breakmodule');
    expect(f.validate({ modules: 'lib/report.js, src/**/pdf-*.js' })).toEqual({ modules: ['lib/report.js', 'src/**/pdf-*.js'] });
    expect(errorOf(() => f.validate({ modules: '**' })).message).toMatch(/param "modules" "\*\*" matches every module/);
    expect(errorOf(() => f.validate({})).message).toMatch(/param "modules" is required/);
    expect(errorOf(() => f.planAhead?.(ctx(), target(svc()), { modules: ['a.js'] })).message).toMatch(/does not run the faultline agent.*agent: true/);
    expect(f.planAhead?.(ctx(), target(svc({ agent: true })), { modules: ['a.js'] })).toHaveLength(1);
  });
});

describe('failure cards', () => {
  it('config-drift, missing-dependency-binary and code-error are ready and bind to params their fault accepts', () => {
    const cards = loadCatalogue();
    for (const k of ['envdrift', 'hidebinary', 'breakmodule']) expect(KNOWN_KINDS.process).toContain(k);
    const bound = (id: string, b: Record<string, string>) => {
      const card = findCardOrThrow(cards, id);
      expect(card.status).toBe('ready');
      const r = bindCard(card, { service: 'web', ...b });
      return { kind: r.kind, target: r.target, params: fault(r.kind).validate(r.params) };
    };
    expect(bound('config-drift', {})).toEqual({ kind: 'envdrift', target: { service: 'web' }, params: { set: { LOG_LEVEL: 'debug' }, unset: [] } });
    expect(bound('config-drift', { envName: 'POOL_SIZE', envValue: '1' }).params.set).toEqual({ POOL_SIZE: '1' });
    expect(bound('missing-dependency-binary', {})).toEqual({ kind: 'hidebinary', target: { service: 'web' }, params: { names: ['git'] } });
    expect(bound('code-error', { module: 'lib/report.js' })).toEqual({ kind: 'breakmodule', target: { service: 'web' }, params: { modules: ['lib/report.js'] } });
  });
});

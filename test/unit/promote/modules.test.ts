import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CodeAnalysis, FileMetrics } from '../../../src/core/analysis.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import {
  buildModuleGraph,
  discoverModules,
  findModule,
  findModuleOrThrow,
  moduleData,
  nodeModuleFs,
  probabilitiesByModule,
  workspacePatterns,
  type ModuleFs,
  type ModuleSpec,
} from '../../../src/promote/modules.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(os.tmpdir(), 'faultline-modules-'));
  dirs.push(root);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return root;
}

/** npm's own reading of the workspaces (@npmcli/map-workspaces), as the oracle */
function npmWorkspaces(root: string): string[] {
  const out = execFileSync('npm', ['pkg', 'get', 'name', '--workspaces', '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Object.keys(JSON.parse(out) as Record<string, unknown>).sort();
}

const WORKSPACE_REPO = {
  'package.json': { name: 'acme', private: true, workspaces: ['packages/*', 'apps/*', 'tools/cli', 'libs/**', '!packages/experimental'] },
  'packages/core/package.json': { name: '@acme/core', version: '1.2.0' },
  'packages/api/package.json': { name: '@acme/api', version: '0.3.1', dependencies: { '@acme/core': '^1.2.0', express: '^4' }, devDependencies: { '@acme/testkit': '*' } },
  'packages/experimental/package.json': { name: '@acme/experimental' },
  'packages/notes/README.md': 'a folder without a package.json is not a workspace',
  'packages/api/node_modules/dep/package.json': { name: 'dep' },
  'apps/web/package.json': { name: 'web', peerDependencies: { '@acme/api': '*' } },
  'tools/cli/package.json': { name: '@acme/cli', optionalDependencies: { '@acme/core': '*' } },
  'tools/other/package.json': { name: 'not-a-workspace' },
  'libs/ui/package.json': { name: '@acme/ui' },
  'libs/data/sql/package.json': { name: '@acme/sql' },
  'libs/data/sql/node_modules/x/package.json': { name: 'x' },
  'testkit/package.json': { name: '@acme/testkit' },
};

describe('module discovery', () => {
  it('finds one module per npm workspace package, as npm itself does', () => {
    const root = repo(WORKSPACE_REPO);
    const mods = discoverModules(root, nodeModuleFs);
    expect(mods.map((m) => m.name).sort()).toEqual(['@acme/api', '@acme/cli', '@acme/core', '@acme/sql', '@acme/ui', 'web']);
    expect(mods.map((m) => m.name).sort()).toEqual(npmWorkspaces(root));
    const api = findModuleOrThrow(mods, '@acme/api');
    expect(api).toMatchObject({ paths: ['packages/api'], version: '0.3.1', source: 'workspace', packageName: '@acme/api', packageDependencies: ['@acme/core', 'express'] });
    expect(findModuleOrThrow(mods, 'web').packageDependencies).toEqual(['@acme/api']);
    expect(findModuleOrThrow(mods, '@acme/cli').packageDependencies).toEqual(['@acme/core']);
    expect(findModuleOrThrow(mods, '@acme/sql').paths).toEqual(['libs/data/sql']);
  });

  it('reads the yarn form { packages: [...] } and glob segments like web-*', () => {
    const root = repo({
      'package.json': { name: 'y', workspaces: { packages: ['apps/web-*', './shared/'] } },
      'apps/web-shop/package.json': { name: 'web-shop', version: '2.0.0' },
      'apps/web-admin/package.json': { name: 'web-admin' },
      'apps/api/package.json': { name: 'api' },
      'shared/package.json': { name: 'shared' },
    });
    expect(discoverModules(root).map((m) => m.name)).toEqual(['web-admin', 'web-shop', 'shared']);
    expect(workspacePatterns({ packages: ['a/*', 3, ''] })).toEqual(['a/*']);
    expect(workspacePatterns('nope')).toEqual([]);
  });

  it('configured modules win over workspaces and take version and dependencies from a package folder', () => {
    const root = repo(WORKSPACE_REPO);
    const configured: ModuleSpec[] = [
      { name: 'backend', paths: ['packages/api/', './packages/core'], criticality: 'critical', routes: 12 },
      { name: 'api-only', paths: ['packages/api'] },
    ];
    // two modules may not claim the same path when the graph is built, but discovery only reads them
    const mods = discoverModules(root, nodeModuleFs, configured);
    expect(mods.map((m) => [m.name, m.paths, m.source])).toEqual([
      ['backend', ['packages/api', 'packages/core'], 'config'],
      ['api-only', ['packages/api'], 'config'],
    ]);
    expect(mods[0]).toMatchObject({ criticality: 'critical', routes: 12 });
    expect(mods[0]!.version).toBeUndefined();
    expect(mods[1]).toMatchObject({ version: '0.3.1', packageName: '@acme/api' });
  });

  it('falls back to the root package as one module', () => {
    const root = repo({ 'package.json': { name: 'solo', version: '4.5.6', dependencies: { undici: '*' } }, 'src/a.ts': '' });
    expect(discoverModules(root)).toEqual([{ name: 'solo', paths: [''], source: 'root', packageName: 'solo', version: '4.5.6', packageDependencies: ['undici'] }]);
    const bare = repo({ 'src/a.ts': '' });
    expect(discoverModules(bare)[0]).toMatchObject({ paths: [''], source: 'root' });
  });

  it('works on an in-memory file system too, and rejects a broken package.json and bad configured modules', () => {
    const files: Record<string, string> = { '/r/package.json': '{"workspaces":["p/*"]}', '/r/p/a/package.json': '{"name":"a"}' };
    const dirsOf: Record<string, string[]> = { '/r': ['p'], '/r/p': ['a'], '/r/p/a': [] };
    const fs: ModuleFs = { readFile: (p) => files[p], listDir: (p) => dirsOf[p] };
    expect(discoverModules('/r', fs).map((m) => m.name)).toEqual(['a']);
    const broken: ModuleFs = { readFile: (p) => (p === '/r/package.json' ? '{oops' : undefined), listDir: () => undefined };
    expect(() => discoverModules('/r', broken)).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT' }));
    expect(() => discoverModules('/r', fs, [{ name: 'x', paths: [] }])).toThrow(/modules\[0\]\.paths/);
    expect(() => discoverModules('/r', fs, [{ name: 'x', paths: ['a'], criticality: 'urgent' as never }])).toThrow(/modules\[0\]\.criticality/);
    expect(() => discoverModules('/r', fs, [{ name: 'x', paths: ['a'] }, { name: 'x', paths: ['b'] }])).toThrow(/two modules are named "x"/);
  });
});

const file = (path: string, imports: string[] = []): FileMetrics => ({ path, language: 'ts', loc: 10, functions: [], cyclomatic: 1, maxCyclomatic: 1, cognitive: 0, maxNesting: 0, imports, parseErrors: 0 });

describe('module graph', () => {
  // web → api → core ← cli ; api/internal is its own module inside api's folder; util ↔ core form a cycle
  const modules: ModuleSpec[] = [
    { name: 'core', paths: ['packages/core'] },
    { name: 'api', paths: ['packages/api'], criticality: 'high', routes: 7 },
    { name: 'api-internal', paths: ['packages/api/src/internal'] },
    { name: 'web', paths: ['apps/web'] },
    { name: 'cli', paths: ['tools/cli.ts'] },
    { name: 'util', paths: ['packages/util'] },
    { name: 'lonely', paths: ['packages/lonely'] },
  ];
  const analysis: Pick<CodeAnalysis, 'files'> = {
    files: [
      file('packages/core/src/index.ts', ['packages/core/src/db.ts', 'packages/util/index.ts']),
      file('packages/core/src/db.ts'),
      file('packages/util/index.ts', ['packages/core/src/db.ts']),
      file('packages/api/src/server.ts', ['packages/core/src/index.ts', 'packages/api/src/internal/auth.ts']),
      file('packages/api/src/internal/auth.ts'),
      file('packages/api-gateway/x.ts'), // a sibling whose name starts like 'api': not part of it
      file('apps/web/main.ts', ['packages/api/src/server.ts', 'node_modules/react/index.js']),
      file('tools/cli.ts', ['packages/core/src/index.ts']),
      file('tools/cli.test.ts'),
      file('scripts/build.ts', ['packages/core/src/index.ts']),
      file('packages/lonely/a.ts'),
    ],
  };

  it('assigns each file to the module with the longest matching path, and keeps the rest apart', () => {
    const g = buildModuleGraph(modules, analysis);
    expect(findModuleOrThrow(g, 'api').files).toEqual(['packages/api/src/server.ts']);
    expect(findModuleOrThrow(g, 'api-internal').files).toEqual(['packages/api/src/internal/auth.ts']);
    expect(findModuleOrThrow(g, 'cli').files).toEqual(['tools/cli.ts']);
    expect(g.unassigned).toEqual(['packages/api-gateway/x.ts', 'scripts/build.ts', 'tools/cli.test.ts']);
    expect(g.fileModule.get('packages/core/src/db.ts')).toBe('core');
  });

  it('derives dependencies from imports and dependents as the transitive reverse reach', () => {
    const g = buildModuleGraph(modules, analysis);
    const get = (n: string) => findModuleOrThrow(g, n);
    expect(get('web').dependencies).toEqual(['api']);
    expect(get('api').dependencies).toEqual(['api-internal', 'core']);
    expect(get('core').dependencies).toEqual(['util']);
    expect(get('util').dependencies).toEqual(['core']);
    expect(get('core').directDependents).toEqual(['api', 'cli', 'util']);
    expect(get('core').dependents).toEqual(['api', 'cli', 'util', 'web']);
    expect(get('util').dependents).toEqual(['api', 'cli', 'core', 'web']); // through the cycle, without itself
    expect(get('api-internal').dependents).toEqual(['api', 'web']);
    expect(get('web').dependents).toEqual([]);
    expect(get('lonely')).toMatchObject({ dependencies: [], dependents: [], totalModules: 7 });
  });

  it('adds package.json dependencies that name another module (own and given)', () => {
    const withPkg = [...modules.filter((m) => m.name !== 'lonely'), { name: 'lonely', paths: ['packages/lonely'], packageName: '@acme/lonely', packageDependencies: ['web', 'express'] }];
    const g = buildModuleGraph(withPkg, analysis, { cli: ['@acme/lonely'] });
    expect(findModuleOrThrow(g, 'lonely').dependencies).toEqual(['web']);
    expect(findModuleOrThrow(g, 'cli').dependencies).toEqual(['core', 'lonely']);
    expect(findModuleOrThrow(g, 'web').dependents).toEqual(['cli', 'lonely']);
    expect(buildModuleGraph(withPkg, analysis, new Map([['cli', ['@acme/lonely']]])).modules).toEqual(g.modules);
  });

  it('builds the graph of discovered workspace modules from package dependencies', () => {
    const root = repo(WORKSPACE_REPO);
    const g = buildModuleGraph(discoverModules(root), { files: [] });
    expect(findModuleOrThrow(g, '@acme/core').dependents).toEqual(['@acme/api', '@acme/cli', 'web']);
    expect(findModuleOrThrow(g, '@acme/api').dependencies).toEqual(['@acme/core']);
  });

  it('gives ModuleData with reach, and probabilities grouped by module', () => {
    const g = buildModuleGraph(modules, analysis);
    const probs = probabilitiesByModule(g, [
      { path: 'packages/core/src/db.ts', confidence: 0.2 },
      { path: 'packages/core/src/index.ts', confidence: 0.1 },
      { path: 'packages/core/src/new-file.ts', confidence: 0.3 }, // not analysed, but inside core's folder
      { path: 'scripts/build.ts', confidence: 0.9 },
    ]);
    expect(probs.get('core')).toEqual([0.2, 0.1, 0.3]);
    expect([...probs.keys()]).toEqual(['core']);
    const d = moduleData(g, 'api', { failureProbabilities: [0.1], trafficShare: 0.4, history: { promotions: 3, rollbacks: 1 } });
    expect(d).toEqual({
      name: 'api',
      path: 'packages/api',
      dependencies: ['api-internal', 'core'],
      dependents: ['web'],
      totalModules: 7,
      criticality: 'high',
      routes: 7,
      failureProbabilities: [0.1],
      trafficShare: 0.4,
      history: { promotions: 3, rollbacks: 1 },
    });
    expect(moduleData(g, 'api', { routes: 2, criticality: 'low' })).toMatchObject({ routes: 2, criticality: 'low' });
  });

  it('findModule returns undefined, findModuleOrThrow throws FL_ERR_MODULE_NOT_FOUND listing the names', () => {
    const g = buildModuleGraph(modules, analysis);
    expect(findModule(g, 'nope')).toBeUndefined();
    expect(findModule(g.modules, 'web')?.name).toBe('web');
    let caught: unknown;
    try {
      moduleData(g, 'nope');
    } catch (e) {
      caught = e;
    }
    expect(isFaultlineError(caught, 'FL_ERR_MODULE_NOT_FOUND')).toBe(true);
    expect((caught as Error).message).toBe('no module named "nope"; known modules: core, api, api-internal, web, cli, util, lonely');
  });

  it('rejects two modules claiming the same path', () => {
    expect(() => buildModuleGraph([{ name: 'a', paths: ['x'] }, { name: 'b', paths: ['x/'] }], { files: [] })).toThrow(/both claim the path "x"/);
  });
});

/**
 * The module model of risk-gated promotion: which modules a repository has, which files belong to each, and
 * how they depend on one another.
 *
 * Discovery (`discoverModules`), first match wins:
 *  1. modules configured in faultline.yaml (`promote.modules`): name, paths, criticality…; a configured folder
 *     with a package.json also gives its version and dependencies;
 *  2. npm/yarn/pnpm-style `workspaces` of the root package.json (an array, or `{ packages: [...] }`): one module
 *     per workspace package, named by its package.json (`name`, else the folder). Patterns: plain folders
 *     (`tools/cli`), `*` and `?` within a path segment (`packages/*`, `apps/web-*`), `**` for any depth
 *     (`libs/**`), `!pattern` to exclude; node_modules and dot-folders are never entered;
 *  3. the root package as one module (path '' = the whole repository).
 * Package dependencies that count as module edges: `dependencies`, `peerDependencies`, `optionalDependencies`
 * (not devDependencies: a test helper's failure does not reach production).
 *
 * The graph (`buildModuleGraph`): each analysed file belongs to the module whose path is the longest prefix
 * of it (the file itself, or a folder + '/'); a module depends on another when one of its files imports one of
 * the other's, or when its package.json depends on the other's package. `dependents` is the transitive reverse
 * reach (everything that breaks if this module breaks), excluding the module itself.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CodeAnalysis } from '../core/analysis.js';
import { FaultlineError } from '../core/errors.js';
import { CRITICALITIES, type Criticality, type ModuleData } from '../core/promote.js';

/** A module as configured (faultline.yaml `promote.modules`) or discovered. */
export interface ModuleSpec {
  name: string;
  /** folders or files, repository-relative, forward slashes ('' = the whole repository) */
  paths: string[];
  criticality?: Criticality;
  version?: string;
  /** the service of faultline.yaml that runs it */
  service?: string;
  /** HTTP routes served by or depending on it */
  routes?: number;
}

export type ModuleSource = 'config' | 'workspace' | 'root';

/** A module found by `discoverModules`, with what its package.json said. */
export interface DiscoveredModule extends ModuleSpec {
  source: ModuleSource;
  /** the package.json `name`, when there is one (package dependencies are matched on it) */
  packageName?: string;
  /** package names from dependencies, peerDependencies and optionalDependencies */
  packageDependencies?: string[];
}

/** What the graph needs of a module: the spec, and its package name and dependencies when known. */
export type GraphModuleSpec = ModuleSpec & { packageName?: string; packageDependencies?: readonly string[] };

/** The little file access discovery needs; paths are absolute (root joined with a repository path). */
export interface ModuleFs {
  /** the text of a file, undefined when it does not exist or cannot be read */
  readFile(path: string): string | undefined;
  /** the names of a directory's sub-directories, undefined when it is not a directory */
  listDir(path: string): string[] | undefined;
}

/** The real file system. */
export const nodeModuleFs: ModuleFs = {
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  listDir(path) {
    try {
      if (!statSync(path).isDirectory()) return undefined;
      return readdirSync(path, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      return undefined;
    }
  },
};

/** Repository paths: forward slashes, no './' prefix, no trailing slash; '.' and '' are the root. */
export function normalizeRepoPath(p: string): string {
  // fast path: most paths (the analyser's) are already normal
  if (!(p.endsWith('/') || p.startsWith('./') || p === '.' || p.includes('\\') || p.includes('//'))) return p;
  let s = p.replace(/\\/g, '/').replace(/\/{2,}/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  while (s.endsWith('/')) s = s.slice(0, -1);
  return s === '.' ? '' : s;
}

const abs = (root: string, rel: string): string => (rel === '' ? root : join(root, rel));

interface PackageJson {
  name?: string;
  version?: string;
  workspaces?: unknown;
  deps: string[];
}

function readPackageJson(fs: ModuleFs, file: string): PackageJson | undefined {
  const text = fs.readFile(file);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${file} is not valid JSON: ${(e as Error).message}`, { context: { file } });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${file} must hold a JSON object`, { context: { file } });
  }
  const o = raw as Record<string, unknown>;
  const deps = new Set<string>();
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    const d = o[field];
    if (typeof d === 'object' && d !== null && !Array.isArray(d)) for (const k of Object.keys(d)) deps.add(k);
  }
  const pkg: PackageJson = { workspaces: o.workspaces, deps: [...deps].sort() };
  if (typeof o.name === 'string' && o.name !== '') pkg.name = o.name;
  if (typeof o.version === 'string' && o.version !== '') pkg.version = o.version;
  return pkg;
}

/** The workspace patterns of a root package.json: an array, or `{ packages: [...] }` (yarn classic). */
export function workspacePatterns(workspaces: unknown): string[] {
  const list = Array.isArray(workspaces)
    ? workspaces
    : typeof workspaces === 'object' && workspaces !== null && Array.isArray((workspaces as { packages?: unknown }).packages)
      ? ((workspaces as { packages: unknown[] }).packages)
      : [];
  return list.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim());
}

function segmentRegExp(seg: string): RegExp {
  const body = seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

const enterable = (name: string): boolean => name !== 'node_modules' && !name.startsWith('.');
const MAX_GLOBSTAR_DEPTH = 8;

/** Repository folders matching a workspace pattern (without its '!'); only folders that exist. */
export function expandWorkspacePattern(root: string, fs: ModuleFs, pattern: string): string[] {
  const segs = normalizeRepoPath(pattern).split('/').filter((s) => s !== '');
  const out = new Set<string>();
  const walk = (dir: string, i: number, globDepth: number): void => {
    if (i === segs.length) {
      out.add(dir);
      return;
    }
    const seg = segs[i] as string;
    if (seg === '**') {
      walk(dir, i + 1, globDepth); // zero folders
      if (globDepth >= MAX_GLOBSTAR_DEPTH) return;
      for (const name of fs.listDir(abs(root, dir)) ?? []) {
        if (enterable(name)) walk(dir === '' ? name : `${dir}/${name}`, i, globDepth + 1);
      }
      return;
    }
    if (!/[*?]/.test(seg)) {
      const next = dir === '' ? seg : `${dir}/${seg}`;
      if (fs.listDir(abs(root, next)) !== undefined) walk(next, i + 1, globDepth);
      return;
    }
    const re = segmentRegExp(seg);
    for (const name of fs.listDir(abs(root, dir)) ?? []) {
      if (enterable(name) && re.test(name)) walk(dir === '' ? name : `${dir}/${name}`, i + 1, globDepth);
    }
  };
  walk('', 0, 0);
  return [...out].sort();
}

function checkSpec(spec: ModuleSpec, i: number): void {
  const at = `modules[${i}]`;
  if (typeof spec.name !== 'string' || spec.name.trim() === '') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${at}.name must be a non-empty string`, { context: { field: `${at}.name` } });
  if (!Array.isArray(spec.paths) || spec.paths.length === 0 || spec.paths.some((p) => typeof p !== 'string')) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${at}.paths must be a non-empty list of repository paths (module "${spec.name}")`, { context: { field: `${at}.paths` } });
  }
  if (spec.criticality !== undefined && !(CRITICALITIES as readonly string[]).includes(spec.criticality)) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${at}.criticality must be one of ${CRITICALITIES.join(', ')} (got ${JSON.stringify(spec.criticality)})`, { context: { field: `${at}.criticality` } });
  }
  if (spec.routes !== undefined && !(Number.isFinite(spec.routes) && spec.routes >= 0)) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${at}.routes must be a number ≥ 0 (got ${String(spec.routes)})`, { context: { field: `${at}.routes` } });
  }
}

function checkUniqueNames(mods: readonly { name: string; source?: ModuleSource }[]): void {
  const seen = new Set<string>();
  for (const m of mods) {
    if (seen.has(m.name)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `two modules are named "${m.name}"; module names must be unique`, { context: { field: 'modules', name: m.name } });
    seen.add(m.name);
  }
}

/**
 * The modules of the repository at `root`: the configured ones when given (non-empty), else the workspace
 * packages of the root package.json, else the root package as one module.
 */
export function discoverModules(root: string, fs: ModuleFs = nodeModuleFs, configured?: readonly ModuleSpec[]): DiscoveredModule[] {
  if (configured !== undefined && configured.length > 0) {
    configured.forEach(checkSpec);
    const mods = configured.map((spec): DiscoveredModule => {
      const m: DiscoveredModule = { ...spec, paths: spec.paths.map(normalizeRepoPath), source: 'config' };
      // a configured module that is exactly one package folder takes version and dependencies from it
      const only = m.paths.length === 1 ? (m.paths[0] as string) : undefined;
      const pkg = only === undefined ? undefined : readPackageJson(fs, join(abs(root, only), 'package.json'));
      if (pkg !== undefined) {
        if (pkg.name !== undefined) m.packageName = pkg.name;
        if (m.version === undefined && pkg.version !== undefined) m.version = pkg.version;
        m.packageDependencies = pkg.deps;
      }
      return m;
    });
    checkUniqueNames(mods);
    return mods;
  }
  const rootPkg = readPackageJson(fs, join(root, 'package.json'));
  const patterns = workspacePatterns(rootPkg?.workspaces);
  if (patterns.length > 0) {
    const include = new Set<string>();
    const exclude = new Set<string>();
    for (const p of patterns) {
      const neg = p.startsWith('!');
      for (const dir of expandWorkspacePattern(root, fs, neg ? p.slice(1) : p)) (neg ? exclude : include).add(dir);
    }
    const mods: DiscoveredModule[] = [];
    for (const dir of [...include].sort()) {
      if (exclude.has(dir) || dir === '') continue;
      const pkg = readPackageJson(fs, join(abs(root, dir), 'package.json'));
      if (pkg === undefined) continue; // a matched folder without a package.json is not a workspace package
      const m: DiscoveredModule = { name: pkg.name ?? dir, paths: [dir], source: 'workspace', packageDependencies: pkg.deps };
      if (pkg.name !== undefined) m.packageName = pkg.name;
      if (pkg.version !== undefined) m.version = pkg.version;
      mods.push(m);
    }
    if (mods.length > 0) {
      checkUniqueNames(mods);
      return mods;
    }
  }
  const m: DiscoveredModule = { name: rootPkg?.name ?? (basename(root) || 'root'), paths: [''], source: 'root', packageDependencies: rootPkg?.deps ?? [] };
  if (rootPkg?.name !== undefined) m.packageName = rootPkg.name;
  if (rootPkg?.version !== undefined) m.version = rootPkg.version;
  return [m];
}

// ---------------------------------------------------------------------------------------------------------
// The graph

export interface ModuleNode {
  name: string;
  paths: string[];
  version?: string;
  criticality?: Criticality;
  service?: string;
  routes?: number;
  packageName?: string;
  /** the analysed files that belong to it, sorted */
  files: string[];
  /** modules it depends on directly (imports and package dependencies), sorted */
  dependencies: string[];
  /** modules that depend on it directly, sorted */
  directDependents: string[];
  /** modules that depend on it directly or transitively, excluding itself, sorted */
  dependents: string[];
  totalModules: number;
}

export interface ModuleGraph {
  modules: ModuleNode[];
  /** file path → module name */
  fileModule: Map<string, string>;
  /** analysed files that belong to no module */
  unassigned: string[];
}

/** The module a repository path belongs to: the longest module path that is the path itself or a folder of it. */
export function moduleOfPath(byPath: ReadonlyMap<string, string>, file: string): string | undefined {
  let p = normalizeRepoPath(file);
  for (;;) {
    const hit = byPath.get(p);
    if (hit !== undefined) return hit;
    if (p === '') return undefined;
    const slash = p.lastIndexOf('/');
    p = slash < 0 ? '' : p.slice(0, slash);
  }
}

/**
 * Assigns the analysed files to modules and derives module dependencies from the import graph and from
 * package dependencies. `packageDeps` (module name → package names) adds to, or stands in for, the modules'
 * own `packageDependencies`.
 */
export function buildModuleGraph(
  modules: readonly GraphModuleSpec[],
  analysis: Pick<CodeAnalysis, 'files'>,
  packageDeps?: Readonly<Record<string, readonly string[]>> | ReadonlyMap<string, readonly string[]>,
): ModuleGraph {
  modules.forEach(checkSpec);
  checkUniqueNames(modules);
  const byPath = new Map<string, string>();
  for (const m of modules) {
    for (const raw of m.paths) {
      const p = normalizeRepoPath(raw);
      const other = byPath.get(p);
      if (other !== undefined && other !== m.name) {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `modules "${other}" and "${m.name}" both claim the path "${p}"; give each path to one module`, { context: { field: 'paths', path: p } });
      }
      byPath.set(p, m.name);
    }
  }
  const byPackage = new Map<string, string>();
  for (const m of modules) {
    byPackage.set(m.name, m.name);
    const pn = m.packageName;
    if (pn !== undefined && !byPackage.has(pn)) byPackage.set(pn, m.name);
  }

  const fileModule = new Map<string, string>();
  const files = new Map<string, string[]>(modules.map((m) => [m.name, []]));
  const unassigned: string[] = [];
  for (const f of analysis.files) {
    const path = normalizeRepoPath(f.path);
    const mod = moduleOfPath(byPath, path);
    if (mod === undefined) unassigned.push(path);
    else {
      fileModule.set(path, mod);
      (files.get(mod) as string[]).push(path);
    }
  }

  const deps = new Map<string, Set<string>>(modules.map((m) => [m.name, new Set<string>()]));
  for (const f of analysis.files) {
    const from = fileModule.get(normalizeRepoPath(f.path));
    if (from === undefined) continue;
    const out = deps.get(from) as Set<string>;
    for (const imp of f.imports) {
      const to = fileModule.get(normalizeRepoPath(imp)) ?? moduleOfPath(byPath, imp);
      if (to !== undefined && to !== from) out.add(to);
    }
  }
  const extra = (name: string): readonly string[] => (packageDeps instanceof Map ? packageDeps.get(name) : (packageDeps as Record<string, readonly string[]> | undefined)?.[name]) ?? [];
  for (const m of modules) {
    const out = deps.get(m.name) as Set<string>;
    for (const pkg of [...(m.packageDependencies ?? []), ...extra(m.name)]) {
      const to = byPackage.get(pkg);
      if (to !== undefined && to !== m.name) out.add(to);
    }
  }

  const reverse = new Map<string, string[]>(modules.map((m) => [m.name, []]));
  for (const [from, tos] of deps) for (const to of tos) (reverse.get(to) as string[]).push(from);
  const reach = transitiveDependents(modules.map((m) => m.name), reverse);
  const total = modules.length;
  const nodes = modules.map((m, i): ModuleNode => {
    const node: ModuleNode = {
      name: m.name,
      paths: m.paths.map(normalizeRepoPath),
      files: (files.get(m.name) as string[]).sort(),
      dependencies: [...(deps.get(m.name) as Set<string>)].sort(),
      directDependents: [...(reverse.get(m.name) as string[])].sort(),
      dependents: reach[i] as string[],
      totalModules: total,
    };
    if (m.version !== undefined) node.version = m.version;
    if (m.criticality !== undefined) node.criticality = m.criticality;
    if (m.service !== undefined) node.service = m.service;
    if (m.routes !== undefined) node.routes = m.routes;
    const pn = m.packageName;
    if (pn !== undefined) node.packageName = pn;
    return node;
  });
  return { modules: nodes, fileModule, unassigned: unassigned.sort() };
}

/**
 * For each module, the modules that reach it over "is depended on by" (breadth-first), excluding itself, in
 * name order. Integer-indexed with one reused visit stamp: O(V·(V + E)) time, O(V) scratch space.
 */
function transitiveDependents(names: readonly string[], reverse: ReadonlyMap<string, readonly string[]>): string[][] {
  const n = names.length;
  const index = new Map(names.map((name, i) => [name, i]));
  const rev = names.map((name) => Int32Array.from((reverse.get(name) ?? []).map((d) => index.get(d) as number)));
  const byName = names.map((_, i) => i).sort((a, b) => ((names[a] as string) < (names[b] as string) ? -1 : (names[a] as string) > (names[b] as string) ? 1 : 0));
  const stamp = new Int32Array(n);
  const queue = new Int32Array(n);
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const mark = i + 1;
    stamp[i] = mark;
    let head = 0;
    let tail = 0;
    queue[tail++] = i;
    while (head < tail) {
      const edges = rev[queue[head++] as number] as Int32Array;
      for (let e = 0; e < edges.length; e++) {
        const d = edges[e] as number;
        if (stamp[d] !== mark) {
          stamp[d] = mark;
          queue[tail++] = d;
        }
      }
    }
    const list: string[] = [];
    if (tail > 1) for (const j of byName) if (j !== i && stamp[j] === mark) list.push(names[j] as string);
    out.push(list);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Lookups and ModuleData

type ModuleList<T> = readonly T[] | { modules: readonly T[] };
const listOf = <T>(m: ModuleList<T>): readonly T[] => (Array.isArray(m) ? (m as readonly T[]) : (m as { modules: readonly T[] }).modules);

export function findModule<T extends { name: string }>(modules: ModuleList<T>, name: string): T | undefined {
  return listOf(modules).find((m) => m.name === name);
}

export function findModuleOrThrow<T extends { name: string }>(modules: ModuleList<T>, name: string): T {
  const m = findModule(modules, name);
  if (m !== undefined) return m;
  const known = listOf(modules).map((x) => x.name);
  const list = known.length === 0 ? 'there are no modules' : `known modules: ${known.slice(0, 50).join(', ')}${known.length > 50 ? `, … (${known.length} in all)` : ''}`;
  throw new FaultlineError('FL_ERR_MODULE_NOT_FOUND', `no module named "${name}"; ${list}`, { context: { module: name, known: known.slice(0, 50) } });
}

/** What the predictor, the observe stage and the release registry know about one module. */
export interface ModuleInputs {
  failureProbabilities?: number[];
  failureProbability?: number;
  trafficShare?: number;
  loadRps?: number;
  /** replaces the configured routes */
  routes?: number;
  /** replaces the configured criticality */
  criticality?: Criticality;
  history?: { promotions: number; rollbacks: number };
}

/** The ModuleData (the FIS input) of one module of a graph. */
export function moduleData(graph: ModuleGraph, name: string, inputs: ModuleInputs = {}): ModuleData {
  const n = findModuleOrThrow(graph, name);
  const d: ModuleData = { name: n.name, dependencies: [...n.dependencies], dependents: [...n.dependents], totalModules: n.totalModules };
  if (n.version !== undefined) d.version = n.version;
  if (n.paths.length > 0) d.path = n.paths[0] as string;
  const criticality = inputs.criticality ?? n.criticality;
  if (criticality !== undefined) d.criticality = criticality;
  const routes = inputs.routes ?? n.routes;
  if (routes !== undefined) d.routes = routes;
  if (inputs.failureProbabilities !== undefined) d.failureProbabilities = [...inputs.failureProbabilities];
  if (inputs.failureProbability !== undefined) d.failureProbability = inputs.failureProbability;
  if (inputs.trafficShare !== undefined) d.trafficShare = inputs.trafficShare;
  if (inputs.loadRps !== undefined) d.loadRps = inputs.loadRps;
  if (inputs.history !== undefined) d.history = { ...inputs.history };
  return d;
}

/**
 * Groups per-location probabilities (failure points' `confidence`, or per-file probabilities) by module:
 * module name → the probabilities of its files, in input order. Locations in no module are left out.
 */
export function probabilitiesByModule(graph: ModuleGraph, points: Iterable<{ path: string; confidence: number }>): Map<string, number[]> {
  const byPath = new Map<string, string>();
  for (const m of graph.modules) for (const p of m.paths) byPath.set(p, m.name);
  const out = new Map<string, number[]>();
  for (const pt of points) {
    const mod = graph.fileModule.get(normalizeRepoPath(pt.path)) ?? moduleOfPath(byPath, pt.path);
    if (mod === undefined) continue;
    const list = out.get(mod);
    if (list === undefined) out.set(mod, [pt.confidence]);
    else list.push(pt.confidence);
  }
  return out;
}

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActiveFault, LedgerSink } from '../../core/fault.js';
import { describeTarget } from '../../core/fault.js';
import { FaultlineError } from '../../core/errors.js';
import { detectNetCapabilities, requireCapabilities, type NetCapabilities } from './capabilities.js';
import { runOrThrow, systemRunner, type CommandRunner } from './exec.js';
import { stopGuard } from './guard-spec.js';
import {
  deleteRecord,
  fullName,
  listRecords,
  namesFor,
  netnsDir,
  parseNamespaceId,
  pickSubnetIndex,
  readRecord,
  readRecordOrThrow,
  subnetFor,
  updateRecord,
  withLock,
  writeRecord,
  type NamespaceRecord,
} from './state.js';

/** Host-wide lock: subnet and name allocation must be unique across every state dir on this machine. */
export const HOST_ALLOC_LOCK = '/run/faultline/netns-alloc.lock';

export interface NamespaceOptions {
  stateDir: string;
  /** id or `fl-<id>` (1-10 lowercase letters/digits); default derived from the allocated subnet */
  name?: string;
  runner?: CommandRunner;
  capabilities?: NetCapabilities;
}

async function hostState(runner: CommandRunner): Promise<{ used: string[]; namespaces: Set<string>; links: Set<string> }> {
  const addrs = JSON.parse((await runOrThrow(runner, 'ip', ['-j', '-4', 'addr', 'show'])) || '[]') as { ifname: string; addr_info?: { local: string; prefixlen: number }[] }[];
  const routes = JSON.parse((await runOrThrow(runner, 'ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as { dst: string }[];
  const links = JSON.parse((await runOrThrow(runner, 'ip', ['-j', 'link', 'show'])) || '[]') as { ifname: string }[];
  const nsList = await runOrThrow(runner, 'ip', ['netns', 'list']);
  const used = [
    ...addrs.flatMap((a) => (a.addr_info ?? []).map((i) => `${i.local}/${i.prefixlen}`)),
    ...routes.map((r) => r.dst).filter((d) => d !== 'default' && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(d) && !d.startsWith('0.')),
  ];
  const namespaces = new Set(nsList.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== ''));
  return { used, namespaces, links: new Set(links.map((l) => l.ifname)) };
}

/**
 * Creates network namespace `fl-<id>` with a veth pair (host end `flh-<id>`, namespace end `fln-<id>`) on a /30
 * from 169.254.64.0/18 that no host address or route overlaps, loopback up inside. The record is written to
 * <stateDir>/netns/<name>.json before anything is created, so `faultline netns down --all` can clean up a crash.
 */
export async function createNamespace(options: NamespaceOptions): Promise<NamespaceRecord> {
  const runner = options.runner ?? systemRunner;
  const caps = options.capabilities ?? (await detectNetCapabilities());
  requireCapabilities(caps, 'creating a network namespace', ['root', 'ip', 'netns']);
  const wantedId = options.name === undefined ? undefined : parseNamespaceId(options.name);
  const counterFile = join(netnsDir(options.stateDir), 'next-subnet');
  mkdirSync(netnsDir(options.stateDir), { recursive: true });
  const rec = await withLock(HOST_ALLOC_LOCK, async () => {
    const host = await hostState(runner);
    const taken = (id: string): boolean => {
      const n = namesFor(id);
      return host.namespaces.has(n.name) || host.links.has(n.hostIf) || host.links.has(n.nsIf) || readRecord(options.stateDir, n.name) !== undefined;
    };
    if (wantedId !== undefined && taken(wantedId)) {
      throw new FaultlineError('FL_ERR_NETNS_EXISTS', `namespace fl-${wantedId} (or its veth flh-${wantedId}) already exists; choose another --name or run \`faultline netns down fl-${wantedId}\``, {
        context: { name: `fl-${wantedId}` },
      });
    }
    let start = 0;
    try {
      start = Number(readFileSync(counterFile, 'utf8').trim()) || 0;
    } catch {
      start = 0;
    }
    const used = [...host.used, ...listRecords(options.stateDir).map((r) => r.subnet)];
    const index = pickSubnetIndex(start, used, (i) => wantedId === undefined && taken(i.toString(36)));
    if (index === undefined) {
      throw new FaultlineError('FL_ERR_NETNS_COMMAND', 'no free /30 left in 169.254.64.0/18; remove stale namespaces with `faultline netns down --all`');
    }
    writeFileSync(counterFile, String(index + 1));
    const id = wantedId ?? index.toString(36);
    const names = namesFor(id);
    const addrs = subnetFor(index);
    const r: NamespaceRecord = {
      version: 1,
      id,
      ...names,
      ...addrs,
      subnetIndex: index,
      createdAt: new Date().toISOString(),
      ownerPid: process.pid,
      pids: [],
      faults: [],
    };
    writeRecord(options.stateDir, r);
    try {
      await runOrThrow(runner, 'ip', ['netns', 'add', r.name]);
      await runOrThrow(runner, 'ip', ['link', 'add', r.hostIf, 'type', 'veth', 'peer', 'name', r.nsIf, 'netns', r.name]);
      await runOrThrow(runner, 'ip', ['addr', 'add', `${r.hostAddr}/30`, 'dev', r.hostIf]);
      await runOrThrow(runner, 'ip', ['link', 'set', r.hostIf, 'up']);
      await runOrThrow(runner, 'ip', ['-n', r.name, 'addr', 'add', `${r.nsAddr}/30`, 'dev', r.nsIf]);
      await runOrThrow(runner, 'ip', ['-n', r.name, 'link', 'set', r.nsIf, 'up']);
      await runOrThrow(runner, 'ip', ['-n', r.name, 'link', 'set', 'lo', 'up']);
    } catch (e) {
      await teardown(runner, r);
      deleteRecord(options.stateDir, r.name);
      throw e;
    }
    return r;
  });
  return rec;
}

export interface NamespaceProcess {
  pid: number;
  child: ChildProcess;
  /** resolves when the process exits */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after graceMs */
  stop(graceMs?: number): Promise<void>;
}

export interface RunOptions {
  /** record the pid in the namespace record so `netns down` stops it */
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** default 'pipe' */
  stdio?: 'pipe' | 'inherit' | 'ignore';
  /** own session, unref'd; output appended to logFile when given */
  detached?: boolean;
  logFile?: string;
}

/** Runs `command` inside the namespace (`ip netns exec NAME …`, which execs in place, so pid is the target's). */
export async function runInNamespace(ns: { name: string } | string, command: readonly string[], options: RunOptions = {}): Promise<NamespaceProcess> {
  const name = typeof ns === 'string' ? fullName(ns) : ns.name;
  if (command.length === 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'command: give the target command to run inside the namespace, e.g. `-- node server.js`');
  if (options.stateDir !== undefined) readRecordOrThrow(options.stateDir, name);
  let stdio: StdioOptions = options.stdio ?? 'pipe';
  let logFd: number | undefined;
  if (options.logFile !== undefined) {
    logFd = openSync(options.logFile, 'a');
    stdio = ['ignore', logFd, logFd];
  }
  const child = spawn('ip', ['netns', 'exec', name, ...command], {
    stdio,
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    detached: options.detached ?? false,
  });
  if (logFd !== undefined) closeSync(logFd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => reject(new FaultlineError('FL_ERR_NETNS_COMMAND', `could not start \`ip netns exec ${name} ${command.join(' ')}\`: ${e.message}`, { cause: e })));
  });
  const pid = child.pid as number;
  if (options.detached) child.unref();
  if (options.stateDir !== undefined) await updateRecord(options.stateDir, name, (r) => ({ ...r, pids: [...r.pids, pid] }));
  const stop = async (graceMs = 2_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return { pid, child, exited, stop };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function nsPids(runner: CommandRunner, name: string): Promise<number[]> {
  const r = await runner.run('ip', ['netns', 'pids', name]);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

/** Kills what runs inside, deletes the namespace (which removes the veth pair) and the host veth if it lingers. */
async function teardown(runner: CommandRunner, r: NamespaceRecord): Promise<number[]> {
  const killed: number[] = [];
  const pids = await nsPids(runner, r.name);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 2_000;
  while (killed.some(alive) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
  for (const pid of await nsPids(runner, r.name)) {
    try {
      process.kill(pid, 'SIGKILL');
      if (!killed.includes(pid)) killed.push(pid);
    } catch {
      // already gone
    }
  }
  const del = await runner.run('ip', ['netns', 'del', r.name]);
  if (del.code !== 0 && !/no such file|cannot remove|not found/i.test(del.stderr)) {
    throw new FaultlineError('FL_ERR_NETNS_COMMAND', `ip netns del ${r.name} failed: ${del.stderr.trim()}`);
  }
  // the kernel destroys the veth pair with the namespace; wait for it, and delete our host end if it lingers
  const linkDeadline = Date.now() + 3_000;
  while (Date.now() < linkDeadline) {
    const show = await runner.run('ip', ['link', 'show', 'dev', r.hostIf]);
    if (show.code !== 0) return killed;
    await new Promise((res) => setTimeout(res, 25));
  }
  await runOrThrow(runner, 'ip', ['link', 'del', 'dev', r.hostIf]);
  return killed;
}

/**
 * Stops the guards of its faults (recording `revert` for those still active), kills every process inside,
 * deletes the namespace and its veth, and removes the record. Only namespaces recorded in stateDir are touched.
 */
export async function destroyNamespace(
  name: string,
  deps: { stateDir: string; ledger?: LedgerSink; runner?: CommandRunner; actor?: string },
): Promise<{ name: string; killedPids: number[]; revertedFaults: string[] }> {
  const runner = deps.runner ?? systemRunner;
  const rec = readRecordOrThrow(deps.stateDir, name);
  const now = Date.now();
  const reverted: string[] = [];
  for (const f of rec.faults) {
    stopGuard(f.guardPid, f.fault.id);
    if (f.fault.expiresAt <= now) continue;
    reverted.push(f.fault.id);
    deps.ledger?.record({
      action: 'revert',
      faultId: f.fault.id,
      kind: f.fault.kind,
      layer: f.fault.layer,
      target: `netns=${rec.name},${describeTarget(f.fault.target)}`,
      params: f.fault.params,
      actor: deps.actor ?? 'faultline',
      outcome: 'ok',
      ttlMs: f.fault.ttlMs,
      detail: 'namespace destroyed',
    });
  }
  const killedPids = await teardown(runner, rec);
  deleteRecord(deps.stateDir, rec.name);
  return { name: rec.name, killedPids, revertedFaults: reverted };
}

export interface NamespaceStatus extends NamespaceRecord {
  /** the namespace exists in the kernel */
  present: boolean;
  /** recorded processes still alive */
  runningPids: number[];
  activeFaults: ActiveFault[];
}

/** The namespaces recorded in stateDir, with whether each still exists and its unexpired faults. */
export async function listNamespaces(stateDir: string, options: { runner?: CommandRunner } = {}): Promise<NamespaceStatus[]> {
  const runner = options.runner ?? systemRunner;
  const r = await runner.run('ip', ['netns', 'list']);
  const present = new Set(r.code === 0 ? r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '') : []);
  const now = Date.now();
  return listRecords(stateDir).map((rec) => ({
    ...rec,
    present: present.has(rec.name),
    runningPids: rec.pids.filter(alive),
    activeFaults: rec.faults.filter((f) => f.fault.expiresAt > now).map((f) => f.fault),
  }));
}

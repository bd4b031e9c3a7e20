import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActiveFault } from '../../core/fault.js';
import { FaultlineError } from '../../core/errors.js';

/** Something a fault created and its removal deletes again. Everything lives in our namespace or on our veth. */
export type FaultArtifact =
  | { type: 'nft-table'; family: 'inet'; table: string }
  | { type: 'iptables-chain'; chain: string; /** the jump rules, as iptables arguments after -A/-I/-D CHAIN */ jumps: { chain: string; args: string[] }[] }
  | { type: 'qdisc'; side: 'ns' | 'host'; dev: string; handle: string };

export interface NetworkFaultRecord {
  fault: ActiveFault;
  backend: 'nft' | 'iptables' | 'tc';
  artifacts: FaultArtifact[];
  /** true when the kernel itself stops matching at expiresAt (nft set timeout, iptables time match) */
  kernelTtl: boolean;
  guardPid?: number;
}

export interface NamespaceAddresses {
  /** the namespace name, `fl-<id>` */
  name: string;
  /** address of the host end of the veth (what the target sees as its peer) */
  hostAddr: string;
  /** address of the target inside the namespace; reach the target at nsAddr:port */
  nsAddr: string;
}

export interface NamespaceRecord extends NamespaceAddresses {
  version: 1;
  id: string;
  hostIf: string;
  nsIf: string;
  /** e.g. 169.254.64.4/30 */
  subnet: string;
  subnetIndex: number;
  createdAt: string;
  /** pid of the faultline process that created it */
  ownerPid: number;
  /** processes faultline started inside */
  pids: number[];
  faults: NetworkFaultRecord[];
}

export function netnsDir(stateDir: string): string {
  return join(stateDir, 'netns');
}

export function recordPath(stateDir: string, name: string): string {
  return join(netnsDir(stateDir), `${name}.json`);
}

/** "web" or "fl-web" → "fl-web". */
export function fullName(nameOrId: string): string {
  return nameOrId.startsWith('fl-') ? nameOrId : `fl-${nameOrId}`;
}

/** The record of namespace `name` ("fl-<id>" or "<id>"), or undefined. */
export function readRecord(stateDir: string, name: string): NamespaceRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(stateDir, fullName(name)), 'utf8')) as NamespaceRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function readRecordOrThrow(stateDir: string, name: string): NamespaceRecord {
  const r = readRecord(stateDir, name);
  if (r === undefined) {
    throw new FaultlineError('FL_ERR_NETNS_NOT_FOUND', `no faultline namespace "${fullName(name)}" recorded in ${netnsDir(stateDir)}; list them with \`faultline netns list\``, { context: { name } });
  }
  return r;
}

export function writeRecord(stateDir: string, rec: NamespaceRecord): void {
  mkdirSync(netnsDir(stateDir), { recursive: true });
  const path = recordPath(stateDir, rec.name);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`);
  renameSync(tmp, path);
}

export function deleteRecord(stateDir: string, name: string): void {
  rmSync(recordPath(stateDir, name), { force: true });
}

export function listRecords(stateDir: string): NamespaceRecord[] {
  let files: string[];
  try {
    files = readdirSync(netnsDir(stateDir));
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => readRecord(stateDir, f.slice(0, -5)))
    .filter((r): r is NamespaceRecord => r !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exclusive lock by an O_EXCL file holding the owner's pid; a lock whose owner died is taken over. */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(join(path, '..'), { recursive: true });
        continue;
      }
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      let ageMs = 0;
      try {
        owner = Number(readFileSync(path, 'utf8'));
        ageMs = Date.now() - statSync(path).mtimeMs;
      } catch {
        continue;
      }
      if ((Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) || (!(owner > 0) && ageMs > 5_000)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new FaultlineError('FL_ERR_NETNS_COMMAND', `lock ${path} is held by pid ${owner} for more than ${timeoutMs} ms; if that process is stuck, stop it or remove the file`, { context: { path, owner } });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

/** Read-modify-write of one namespace record under the state dir's lock. Returns the new record (undefined when absent). */
export async function updateRecord(stateDir: string, name: string, fn: (rec: NamespaceRecord) => NamespaceRecord): Promise<NamespaceRecord | undefined> {
  return withLock(join(netnsDir(stateDir), '.lock'), () => {
    const rec = readRecord(stateDir, name);
    if (rec === undefined) return undefined;
    const next = fn(rec);
    writeRecord(stateDir, next);
    return next;
  });
}

// ---- addresses -------------------------------------------------------------------------------------------

/** /30 blocks are taken from 169.254.64.0/18 (link-local; stays clear of 169.254.169.254). */
export const SUBNET_BASE = '169.254.64.0';
export const SUBNET_COUNT = 4096;

export function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `"${ip}" is not an IPv4 address`);
  }
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function subnetFor(index: number): { subnet: string; hostAddr: string; nsAddr: string } {
  const i = ((index % SUBNET_COUNT) + SUBNET_COUNT) % SUBNET_COUNT;
  const net = (ipv4ToInt(SUBNET_BASE) + i * 4) >>> 0;
  return { subnet: `${intToIpv4(net)}/30`, hostAddr: intToIpv4(net + 1), nsAddr: intToIpv4(net + 2) };
}

/** True when two IPv4 CIDRs (or bare addresses, /32) share any address. */
export function cidrOverlap(a: string, b: string): boolean {
  const parse = (c: string): [number, number] => {
    const [addr, len] = c.split('/');
    const bits = len === undefined ? 32 : Number(len);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return [(ipv4ToInt(addr as string) & mask) >>> 0, mask];
  };
  const [na, ma] = parse(a);
  const [nb, mb] = parse(b);
  const m = (ma & mb) >>> 0;
  return ((na & m) >>> 0) === ((nb & m) >>> 0);
}

/** The first index at or after `start` whose /30 overlaps none of `used` and whose name is free. */
export function pickSubnetIndex(start: number, used: readonly string[], isNameTaken: (index: number) => boolean): number | undefined {
  for (let k = 0; k < SUBNET_COUNT; k++) {
    const index = (start + k) % SUBNET_COUNT;
    const { subnet } = subnetFor(index);
    if (used.some((u) => cidrOverlap(u, subnet))) continue;
    if (isNameTaken(index)) continue;
    return index;
  }
  return undefined;
}

export const ID_PATTERN = /^[a-z0-9]{1,10}$/;

export function namesFor(id: string): { name: string; hostIf: string; nsIf: string } {
  return { name: `fl-${id}`, hostIf: `flh-${id}`, nsIf: `fln-${id}` };
}

/** Accepts "web" or "fl-web"; returns the id part or throws FL_ERR_INVALID_ARGUMENT. */
export function parseNamespaceId(nameOrId: string): string {
  const id = nameOrId.startsWith('fl-') ? nameOrId.slice(3) : nameOrId;
  if (!ID_PATTERN.test(id)) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `name: "${nameOrId}" must be 1-10 lowercase letters or digits (optionally prefixed fl-), so interface names stay within 15 characters`, {
      context: { name: nameOrId },
    });
  }
  return id;
}

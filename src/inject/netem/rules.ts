import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { FaultlineError, assertNever } from '../../core/errors.js';
import { parseBytes, parseDurationMs } from '../../core/duration.js';

export type NetworkFaultKind = 'loss' | 'reset' | 'bandwidth' | 'partition' | 'delay' | 'corrupt';
export const NETWORK_FAULT_KINDS: readonly NetworkFaultKind[] = ['loss', 'reset', 'bandwidth', 'partition', 'delay', 'corrupt'];

/** Relative to the target inside the namespace: `in` = packets to the target, `out` = packets from it. */
export type Direction = 'in' | 'out' | 'both';

export type NetworkFaultParams =
  | { kind: 'loss'; percent: number; direction: Direction; protocol: 'all' | 'tcp' | 'udp' }
  | { kind: 'reset'; percent: number; port?: number; direction: 'in' | 'out' }
  | { kind: 'bandwidth'; rateBitsPerSec: number; burstBytes: number; latencyMs: number; direction: Direction }
  | { kind: 'partition'; peer?: string; direction: Direction }
  | { kind: 'delay'; delayMs: number; jitterMs: number; direction: Direction }
  | { kind: 'corrupt'; percent: number; direction: Direction };

function bad(attr: string, msg: string, value: unknown): never {
  throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${attr}: ${msg} (got ${JSON.stringify(value)})`, { context: { attribute: attr, value } });
}

function num(raw: Record<string, unknown>, attr: string, def?: number): number {
  const v = raw[attr];
  if (v === undefined || v === null || v === '') {
    if (def === undefined) bad(attr, 'is required', v);
    return def;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*%?\s*$/.test(v) ? Number(v.replace('%', '')) : NaN;
  if (!Number.isFinite(n)) bad(attr, 'must be a number', v);
  return n;
}

function percentOf(raw: Record<string, unknown>, attr: string, def?: number): number {
  const n = num(raw, attr, def);
  if (!(n > 0 && n <= 100)) bad(attr, 'must be a percentage in (0, 100]', raw[attr]);
  return Math.round(n * 100) / 100;
}

function directionOf<D extends string>(raw: Record<string, unknown>, allowed: readonly D[], def: D): D {
  const v = raw.direction ?? def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad('direction', `must be one of ${allowed.join(', ')}`, v);
  return v as D;
}

function durationOf(raw: Record<string, unknown>, attr: string, def: number): number {
  const v = raw[attr];
  if (v === undefined || v === null || v === '') return def;
  if (typeof v !== 'string' && typeof v !== 'number') bad(attr, 'must be a duration such as 100ms', v);
  return parseDurationMs(v, attr);
}

const RATE_UNITS: Record<string, number> = { '': 1, bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9 };

/** tc rate syntax: "1mbit", "500kbit", "100kbps" (kilobytes/s), or a bare number of bits per second. */
export function parseRateBitsPerSec(value: unknown, attr = 'rate'): number {
  if (typeof value === 'number') {
    if (!(value >= 8)) bad(attr, 'must be at least 8 bit/s', value);
    return Math.round(value);
  }
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value) : null;
  const unit = m ? (m[2] as string).toLowerCase() : '';
  if (!m || RATE_UNITS[unit] === undefined) bad(attr, 'must be a rate such as 1mbit, 500kbit, 100kbps (kilobytes/s) or bits per second', value);
  const bits = Math.round(Number(m[1]) * (RATE_UNITS[unit] as number));
  if (bits < 8) bad(attr, 'must be at least 8 bit/s', value);
  return bits;
}

/** Validates and normalises the attributes of one network fault; errors name the bad attribute. */
export function normalizeParams(kind: NetworkFaultKind, raw: Record<string, unknown>): NetworkFaultParams {
  switch (kind) {
    case 'loss': {
      const protocol = raw.protocol ?? 'all';
      if (protocol !== 'all' && protocol !== 'tcp' && protocol !== 'udp') bad('protocol', 'must be all, tcp or udp', protocol);
      return { kind, percent: percentOf(raw, 'percent'), direction: directionOf(raw, ['in', 'out', 'both'], 'both'), protocol };
    }
    case 'reset': {
      const out: NetworkFaultParams = { kind, percent: percentOf(raw, 'percent', 100), direction: directionOf(raw, ['in', 'out'], 'in') };
      if (raw.port !== undefined && raw.port !== null && raw.port !== '') {
        const port = num(raw, 'port');
        if (!Number.isInteger(port) || port < 1 || port > 65535) bad('port', 'must be an integer in 1..65535', raw.port);
        out.port = port;
      }
      return out;
    }
    case 'bandwidth': {
      const rateBitsPerSec = parseRateBitsPerSec(raw.rate, 'rate');
      // at least one full-size frame, and about 20 ms worth of the rate
      const defBurst = Math.max(16_384, Math.ceil(rateBitsPerSec / 8 / 50));
      const burstRaw = raw.burst;
      const burstBytes = burstRaw === undefined || burstRaw === null || burstRaw === '' ? defBurst : parseBytes(burstRaw as string | number, 'burst');
      if (!(burstBytes >= 1600)) bad('burst', 'must be at least 1600 bytes (one frame)', burstRaw);
      const latencyMs = durationOf(raw, 'latency', 100);
      if (!(latencyMs >= 1)) bad('latency', 'must be at least 1ms', raw.latency);
      return { kind, rateBitsPerSec, burstBytes, latencyMs, direction: directionOf(raw, ['in', 'out', 'both'], 'both') };
    }
    case 'partition': {
      const out: NetworkFaultParams = { kind, direction: directionOf(raw, ['in', 'out', 'both'], 'both') };
      if (raw.peer !== undefined && raw.peer !== null && raw.peer !== '') {
        if (typeof raw.peer !== 'string' || isIP(raw.peer) === 0) bad('peer', 'must be an IPv4 or IPv6 address', raw.peer);
        out.peer = raw.peer;
      }
      return out;
    }
    case 'delay': {
      const delayMs = durationOf(raw, 'delay', NaN);
      if (!(delayMs > 0)) bad('delay', 'is required and must be a positive duration such as 100ms', raw.delay);
      return { kind, delayMs, jitterMs: durationOf(raw, 'jitter', 0), direction: directionOf(raw, ['in', 'out', 'both'], 'out') };
    }
    case 'corrupt':
      return { kind, percent: percentOf(raw, 'percent'), direction: directionOf(raw, ['in', 'out', 'both'], 'out') };
    default:
      return assertNever(kind, 'network fault kind');
  }
}

export function isNetworkFaultKind(k: string): k is NetworkFaultKind {
  return (NETWORK_FAULT_KINDS as readonly string[]).includes(k);
}

/** Short stable key of a fault id, used in table, chain and qdisc names. */
export function faultKey(faultId: string): string {
  return createHash('sha1').update(faultId).digest('hex').slice(0, 12);
}

/** Which mechanism applies a kind: packet filters (nft/iptables) or a qdisc (tc). */
export function mechanismOf(kind: NetworkFaultKind): 'filter' | 'qdisc' {
  return kind === 'bandwidth' || kind === 'delay' || kind === 'corrupt' ? 'qdisc' : 'filter';
}

const wantsIn = (d: Direction | 'in' | 'out'): boolean => d === 'in' || d === 'both';
const wantsOut = (d: Direction | 'in' | 'out'): boolean => d === 'out' || d === 'both';

/** nft probability test; the kernel draws (numgen random), in steps of 0.01 %. */
function chance(percent: number): string {
  const n = Math.round(percent * 100);
  return n >= 10_000 ? '' : `numgen random mod 10000 < ${n} `;
}

/**
 * The nft script for a filter fault: a dedicated table `inet faultline_<key>` in the target's namespace whose
 * rules match only through the set `ttl`, whose single element (the namespace's veth) carries a kernel timeout.
 * At expiry the kernel drops the element and the rules stop matching, with no process involved.
 */
export function nftScript(p: NetworkFaultParams, o: { table: string; nsIf: string; ttlMs: number }): string {
  const inRules: string[] = [];
  const outRules: string[] = [];
  switch (p.kind) {
    case 'loss': {
      const proto = p.protocol === 'all' ? '' : `meta l4proto ${p.protocol} `;
      if (wantsIn(p.direction)) inRules.push(`iifname @ttl ${proto}${chance(p.percent)}counter drop`);
      if (wantsOut(p.direction)) outRules.push(`oifname @ttl ${proto}${chance(p.percent)}counter drop`);
      break;
    }
    case 'reset': {
      const match = p.port === undefined ? 'meta l4proto tcp' : `tcp dport ${p.port}`;
      const rule = (ifm: string): string => `${ifm} @ttl ${match} ${chance(p.percent)}counter reject with tcp reset`;
      if (p.direction === 'in') inRules.push(rule('iifname'));
      else outRules.push(rule('oifname'));
      break;
    }
    case 'partition': {
      const fam = p.peer === undefined ? '' : isIP(p.peer) === 6 ? 'ip6' : 'ip';
      if (wantsIn(p.direction)) inRules.push(`iifname @ttl ${p.peer === undefined ? '' : `${fam} saddr ${p.peer} `}counter drop`);
      if (wantsOut(p.direction)) outRules.push(`oifname @ttl ${p.peer === undefined ? '' : `${fam} daddr ${p.peer} `}counter drop`);
      break;
    }
    case 'bandwidth':
    case 'delay':
    case 'corrupt':
      throw new FaultlineError('FL_ERR_INTERNAL', `${p.kind} is applied with tc, not nft`);
    default:
      return assertNever(p, 'network fault params');
  }
  const ttl = Math.max(1, Math.ceil(o.ttlMs));
  const lines = [
    `table inet ${o.table} {`,
    `  set ttl { type ifname; flags timeout; elements = { "${o.nsIf}" timeout ${ttl}ms } }`,
  ];
  if (inRules.length > 0) lines.push('  chain input {', '    type filter hook input priority -10; policy accept;', ...inRules.map((r) => `    ${r}`), '  }');
  if (outRules.length > 0) lines.push('  chain output {', '    type filter hook output priority -10; policy accept;', ...outRules.map((r) => `    ${r}`), '  }');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export interface IptablesPlan {
  /** our own chains with their rules (arguments after `-A CHAIN`) */
  chains: { name: string; rules: string[][] }[];
  /** jumps from the built-in chains into ours (arguments after `-I BUILTIN 1`) */
  jumps: { chain: 'INPUT' | 'OUTPUT'; args: string[] }[];
}

/** UTC timestamp for `-m time --datestop`, rounded up to the second. */
export function iptablesDatestop(expiresAtMs: number): string {
  return new Date(Math.ceil(expiresAtMs / 1000) * 1000).toISOString().slice(0, 19);
}

/**
 * The iptables fallback (IPv4 only) for a filter fault: chains FLI-<key>/FLO-<key> and one jump each from
 * INPUT/OUTPUT; the jump carries `-m time --datestop` when `datestop` is given, so the kernel stops at expiry.
 */
export function iptablesPlan(p: NetworkFaultParams, o: { key: string; nsIf: string; datestop?: string }): IptablesPlan {
  const inChain = `FLI-${o.key}`;
  const outChain = `FLO-${o.key}`;
  const inRules: string[][] = [];
  const outRules: string[][] = [];
  const stat = (percent: number): string[] => (percent >= 100 ? [] : ['-m', 'statistic', '--mode', 'random', '--probability', (percent / 100).toFixed(4)]);
  switch (p.kind) {
    case 'loss': {
      const proto = p.protocol === 'all' ? [] : ['-p', p.protocol];
      if (wantsIn(p.direction)) inRules.push([...proto, ...stat(p.percent), '-j', 'DROP']);
      if (wantsOut(p.direction)) outRules.push([...proto, ...stat(p.percent), '-j', 'DROP']);
      break;
    }
    case 'reset': {
      const rule = ['-p', 'tcp', ...(p.port === undefined ? [] : ['--dport', String(p.port)]), ...stat(p.percent), '-j', 'REJECT', '--reject-with', 'tcp-reset'];
      (p.direction === 'in' ? inRules : outRules).push(rule);
      break;
    }
    case 'partition': {
      if (p.peer !== undefined && isIP(p.peer) !== 4) bad('peer', 'the iptables fallback handles IPv4 peers only; use the nft backend for IPv6', p.peer);
      if (wantsIn(p.direction)) inRules.push([...(p.peer === undefined ? [] : ['-s', p.peer]), '-j', 'DROP']);
      if (wantsOut(p.direction)) outRules.push([...(p.peer === undefined ? [] : ['-d', p.peer]), '-j', 'DROP']);
      break;
    }
    case 'bandwidth':
    case 'delay':
    case 'corrupt':
      throw new FaultlineError('FL_ERR_INTERNAL', `${p.kind} is applied with tc, not iptables`);
    default:
      return assertNever(p, 'network fault params');
  }
  const time = o.datestop === undefined ? [] : ['-m', 'time', '--datestop', o.datestop];
  const plan: IptablesPlan = { chains: [], jumps: [] };
  if (inRules.length > 0) {
    plan.chains.push({ name: inChain, rules: inRules });
    plan.jumps.push({ chain: 'INPUT', args: ['-i', o.nsIf, ...time, '-j', inChain] });
  }
  if (outRules.length > 0) {
    plan.chains.push({ name: outChain, rules: outRules });
    plan.jumps.push({ chain: 'OUTPUT', args: ['-o', o.nsIf, ...time, '-j', outChain] });
  }
  return plan;
}

/** Root qdisc handles faultline uses, so removal can check that the qdisc is still ours. */
export const QDISC_HANDLE = { bandwidth: '464c:', netem: '464d:' } as const;

/** Arguments after `tc [-n NS] qdisc add dev DEV root` for a qdisc fault. */
export function tcQdiscArgs(p: NetworkFaultParams): string[] {
  switch (p.kind) {
    case 'bandwidth':
      return ['handle', QDISC_HANDLE.bandwidth, 'tbf', 'rate', `${p.rateBitsPerSec}bit`, 'burst', `${p.burstBytes}b`, 'latency', `${Math.round(p.latencyMs)}ms`];
    case 'delay':
      return ['handle', QDISC_HANDLE.netem, 'netem', 'delay', `${Math.round(p.delayMs)}ms`, ...(p.jitterMs > 0 ? [`${Math.round(p.jitterMs)}ms`] : [])];
    case 'corrupt':
      return ['handle', QDISC_HANDLE.netem, 'netem', 'corrupt', `${p.percent}%`];
    case 'loss':
    case 'reset':
    case 'partition':
      throw new FaultlineError('FL_ERR_INTERNAL', `${p.kind} is applied with a packet filter, not tc`);
    default:
      return assertNever(p, 'network fault params');
  }
}

/** Sides of the veth a qdisc fault goes on: egress of the ns end shapes `out`, egress of the host end shapes `in`. */
export function qdiscSides(p: NetworkFaultParams & { direction: Direction }): ('ns' | 'host')[] {
  return [...(wantsOut(p.direction) ? (['ns'] as const) : []), ...(wantsIn(p.direction) ? (['host'] as const) : [])];
}

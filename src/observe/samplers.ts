/**
 * Process samplers: CPU %, RSS and open file descriptors from /proc (Linux), and event-loop lag from the
 * process's faultline agent (GET /v1/stats). A pid that has vanished is skipped, not an error: a killed service
 * comes back with a new pid, and the targets are re-read at every sample.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { assertLocalTarget, splitHostPort } from '../core/net.js';
import type { ObserveTarget, ProcessSample } from '../core/run.js';

let clockTicks: number | undefined;
/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on Linux unless configured otherwise). */
function ticksPerSec(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ProcStat {
  /** utime + stime, in seconds of CPU */
  cpuSec: number;
  /** when the process started, seconds after boot */
  startSec: number;
}

/** utime+stime and start time of a process; undefined when it does not exist (any more). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may contain spaces and parentheses: fields are counted after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // after the name: state is f[0], so field n (1-based, man proc) is f[n - 3]
  const hz = ticksPerSec();
  return { cpuSec: (Number(f[11]) + Number(f[12])) / hz, startSec: Number(f[19]) / hz };
}

/** VmRSS in bytes; undefined when the process is gone (0 for a zombie, which has no memory). */
export function readRssBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

export function countOpenFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

function uptimeSec(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

interface AgentStatsAnswer {
  eventLoopLagMs: { p50: number; p99: number; max: number };
  intervalMs: number;
}

/** GET /v1/stats of an agent (loopback only); undefined when it does not answer within `timeoutMs`. */
export function readAgentStats(agent: string, token?: string, timeoutMs = 300): Promise<AgentStatsAnswer | undefined> {
  assertLocalTarget(agent, 'agent');
  const { host, port } = splitHostPort(agent, 'agent');
  return new Promise((resolve) => {
    const req = http.request({ host, port, path: '/v1/stats', method: 'GET', agent: false, timeout: timeoutMs, headers: { accept: 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve(undefined));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as AgentStatsAnswer) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Samples processes; remembers each pid's previous CPU reading to turn it into a % over the interval. */
export class ProcessSampler {
  private readonly last = new Map<number, { cpuSec: number; atMs: number }>();

  /**
   * One sample of each target at `atMs` (ms on the caller's time base). CPU % covers the interval since this
   * sampler's previous sample of the pid, or, for a pid seen for the first time, the process's lifetime.
   */
  async sample(targets: readonly ObserveTarget[], atMs: number): Promise<ProcessSample[]> {
    const out: ProcessSample[] = [];
    const lags: Promise<void>[] = [];
    const seen = new Set<number>();
    for (const t of targets) {
      if (seen.has(t.pid)) continue;
      seen.add(t.pid);
      const stat = readProcStat(t.pid);
      const rssBytes = readRssBytes(t.pid);
      const openFds = countOpenFds(t.pid);
      if (stat === undefined || rssBytes === undefined || openFds === undefined) {
        this.last.delete(t.pid);
        continue;
      }
      const prev = this.last.get(t.pid);
      const cpuPercent = prev
        ? atMs > prev.atMs
          ? (100 * (stat.cpuSec - prev.cpuSec) * 1000) / (atMs - prev.atMs)
          : 0
        : (100 * stat.cpuSec) / Math.max(1 / ticksPerSec(), uptimeSec() - stat.startSec);
      this.last.set(t.pid, { cpuSec: stat.cpuSec, atMs });
      const s: ProcessSample = { atMs, pid: t.pid, ...(t.service !== undefined ? { service: t.service } : {}), cpuPercent: Math.max(0, cpuPercent), rssBytes, openFds };
      out.push(s);
      if (t.agent !== undefined) {
        lags.push(
          readAgentStats(t.agent, t.agentToken).then((a) => {
            if (a && a.intervalMs > 0) s.eventLoopLagMs = a.eventLoopLagMs.p99;
          }),
        );
      }
    }
    for (const pid of [...this.last.keys()]) if (!seen.has(pid)) this.last.delete(pid);
    await Promise.all(lags);
    return out;
  }
}

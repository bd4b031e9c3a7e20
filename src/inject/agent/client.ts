import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { ERROR_CODES, type ErrorCode } from '../../core/error-codes.js';
import { FaultlineError } from '../../core/errors.js';
import { assertLocalTarget, splitHostPort } from '../../core/net.js';
import { agentsDir, removeAnnouncement, type AgentAnnouncement } from './announce.js';
import type { AgentStats } from './control-server.js';
import type { ErrorRecord } from './evidence.js';
import type { OutboundAnswer, OutboundQuery } from './outbound.js';
import type { EndedFault, ModuleInfo } from './runtime.js';
import type { AgentFault, AgentFaultRequest, AgentInfo, FnInfo } from './types.js';

export interface AgentEndpoint {
  host: string;
  port: number;
  token?: string;
}

/** An announcement found in <stateDir>/agents, with its liveness. */
export interface FoundAgent extends AgentAnnouncement {
  file: string;
  /** the control API answered with the same pid */
  reachable: boolean;
  info?: AgentInfo;
}

export interface ErrorsAnswer {
  errors: ErrorRecord[];
  dropped: number;
  capacity: number;
}

export interface FunctionsAnswer {
  modules: ModuleInfo[];
  functions: FnInfo[];
  skipped: Array<{ module: string; reason: string }>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Talks to one agent's control API (loopback only). */
export class AgentClient {
  constructor(
    readonly endpoint: AgentEndpoint,
    private readonly timeoutMs = 5000,
  ) {
    assertLocalTarget(`${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`, 'agent');
  }

  /** "127.0.0.1:41234" or ":41234"; refuses non-loopback addresses (FL_ERR_NOT_LOCAL). */
  static fromAddress(addr: string, token?: string): AgentClient {
    assertLocalTarget(addr, '--agent');
    const { host, port } = splitHostPort(addr, '--agent');
    return new AgentClient({ host, port, ...(token === undefined ? {} : { token }) });
  }

  static fromAnnouncement(a: AgentAnnouncement): AgentClient {
    return new AgentClient({ host: a.host, port: a.port, ...(a.token === undefined ? {} : { token: a.token }) });
  }

  /**
   * The agents announced in <stateDir>/agents. Files of processes that no longer exist are removed
   * (the agent removes its file at a normal exit; SIGKILL or a fatal signal leaves it behind).
   */
  static async list(stateDir: string, timeoutMs = 1500): Promise<FoundAgent[]> {
    const dir = agentsDir(stateDir);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
    } catch {
      return [];
    }
    const found: FoundAgent[] = [];
    for (const name of names) {
      const file = join(dir, name);
      let a: AgentAnnouncement;
      try {
        a = JSON.parse(readFileSync(file, 'utf8')) as AgentAnnouncement;
      } catch {
        continue;
      }
      if (!processAlive(a.pid)) {
        removeAnnouncement(file);
        continue;
      }
      const entry: FoundAgent = { ...a, file, reachable: false };
      try {
        const info = await new AgentClient({ host: a.host, port: a.port, ...(a.token === undefined ? {} : { token: a.token }) }, timeoutMs).info();
        entry.reachable = info.pid === a.pid;
        if (entry.reachable) entry.info = info;
      } catch {
        // alive but not answering (paused, busy, or the pid was reused): reported as unreachable
      }
      found.push(entry);
    }
    return found.sort((x, y) => x.pid - y.pid);
  }

  /** The agent of a pid (FL_ERR_AGENT_NOT_FOUND when it has none announced). */
  static async forPid(stateDir: string, pid: number): Promise<AgentClient> {
    const agents = await AgentClient.list(stateDir);
    const a = agents.find((x) => x.pid === pid);
    if (!a) {
      throw new FaultlineError(
        'FL_ERR_AGENT_NOT_FOUND',
        `--pid: process ${pid} has no agent announced in ${agentsDir(stateDir)}; start it with \`node --import faultline/agent\` (same FAULTLINE_STATE_DIR), or pass --agent 127.0.0.1:PORT`,
        { context: { pid } },
      );
    }
    return AgentClient.fromAnnouncement(a);
  }

  /** --agent ADDR, else --pid, else the only live agent. */
  static async resolve(stateDir: string, sel: { pid?: number; agent?: string; token?: string }): Promise<AgentClient> {
    if (sel.agent !== undefined) return AgentClient.fromAddress(sel.agent, sel.token);
    if (sel.pid !== undefined) return AgentClient.forPid(stateDir, sel.pid);
    const live = (await AgentClient.list(stateDir)).filter((a) => a.reachable);
    if (live.length === 1) return AgentClient.fromAnnouncement(live[0] as FoundAgent);
    throw new FaultlineError(
      'FL_ERR_AGENT_NOT_FOUND',
      live.length === 0
        ? `--pid: no running agent is announced in ${agentsDir(stateDir)}; start the target with \`node --import faultline/agent\`, or pass --agent 127.0.0.1:PORT`
        : `--pid: ${live.length} agents are running (pids ${live.map((a) => a.pid).join(', ')}); choose one with --pid`,
    );
  }

  info(): Promise<AgentInfo> {
    return this.request<AgentInfo>('GET', '/v1/agent');
  }

  functions(): Promise<FunctionsAnswer> {
    return this.request<FunctionsAnswer>('GET', '/v1/functions');
  }

  faults(): Promise<{ faults: AgentFault[]; ended: EndedFault[] }> {
    return this.request('GET', '/v1/faults');
  }

  inject(req: AgentFaultRequest): Promise<AgentFault> {
    return this.request<AgentFault>('POST', '/v1/faults', req);
  }

  async revert(id: string): Promise<AgentFault> {
    return (await this.request<{ reverted: AgentFault }>('DELETE', `/v1/faults/${encodeURIComponent(id)}`)).reverted;
  }

  async revertAll(): Promise<AgentFault[]> {
    return (await this.request<{ reverted: AgentFault[] }>('DELETE', '/v1/faults')).reverted;
  }

  errors(q: { faultId?: string; since?: number; limit?: number } = {}): Promise<ErrorsAnswer> {
    const qs = new URLSearchParams();
    if (q.faultId !== undefined) qs.set('fault', q.faultId);
    if (q.since !== undefined) qs.set('since', String(q.since));
    if (q.limit !== undefined) qs.set('limit', String(q.limit));
    const s = qs.toString();
    return this.request<ErrorsAnswer>('GET', `/v1/errors${s ? `?${s}` : ''}`);
  }

  /** Records the target's outbound HTTP calls (with their call sites) for `ttlMs` from now; resolves with the deadline (epoch ms). */
  async watchOutbound(ttlMs: number): Promise<number> {
    return (await this.request<{ watchingUntil: number }>('POST', '/v1/outbound/watch', { ttlMs })).watchingUntil;
  }

  /** The outbound calls recorded, grouped by origin and call site. */
  outbound(q: OutboundQuery = {}): Promise<OutboundAnswer> {
    const qs = new URLSearchParams();
    if (q.origin !== undefined) qs.set('origin', q.origin);
    if (q.since !== undefined) qs.set('since', String(q.since));
    if (q.until !== undefined) qs.set('until', String(q.until));
    const s = qs.toString();
    return this.request<OutboundAnswer>('GET', `/v1/outbound${s ? `?${s}` : ''}`);
  }

  /** event-loop lag since the previous call (the first call starts the monitor and reports 0s), memory, uptime */
  stats(): Promise<AgentStats> {
    return this.request<AgentStats>('GET', '/v1/stats');
  }

  async clearErrors(): Promise<number> {
    return (await this.request<{ cleared: number }>('DELETE', '/v1/errors')).cleared;
  }

  get address(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  private request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          host: this.endpoint.host,
          port: this.endpoint.port,
          method,
          path,
          agent: false,
          timeout: this.timeoutMs,
          headers: {
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...(this.endpoint.token === undefined ? {} : { authorization: `Bearer ${this.endpoint.token}` }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              reject(new FaultlineError('FL_ERR_AGENT_UNREACHABLE', `agent at ${this.address} answered ${res.statusCode ?? '?'} with a body that is not JSON`));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = json as { code?: string; message?: string };
              const code = e.code !== undefined && e.code in ERROR_CODES ? (e.code as ErrorCode) : 'FL_ERR_AGENT_FAULT';
              reject(new FaultlineError(code, e.message ?? `agent at ${this.address} answered ${res.statusCode ?? '?'}`, { context: { status: res.statusCode } }));
              return;
            }
            resolve(json as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) =>
        reject(new FaultlineError('FL_ERR_AGENT_UNREACHABLE', `agent at ${this.address} did not answer ${method} ${path}: ${e.message}`, { cause: e })),
      );
      req.end(payload);
    });
  }
}

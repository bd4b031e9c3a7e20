/**
 * Outbound HTTP calls the target makes while it is watched: to which host:port, from which application frame
 * (file:line:col and function), how long until the answer's headers, and whether the call failed. Read from
 * Node's diagnostics channels — `undici:request:*` (global fetch and the undici package) and
 * `http.client.request.start` / `http.client.response.finish` (node:http and https clients) — without patching
 * anything (node:http calls get their call site on Node ≥ 22, where the request's creation is published
 * synchronously; on Node 20 they are recorded without one). Channels are subscribed only while a watch is on (a controller starts one with a TTL while a fault
 * acts on a dependency link), so an unwatched agent pays nothing; the records stay readable after the watch.
 *
 * This is what ties a fault on a dependency link (a proxy toxic) to the code that calls the dependency: the
 * evidence of a latency fault is the call site that waited.
 */
import dc from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { StackFrame } from './evidence.js';

/** One finished outbound call. */
export interface OutboundCall {
  /** epoch ms when the call started */
  at: number;
  /** "host:port" (the default port filled in) */
  origin: string;
  /** until the response headers arrived, or until it failed */
  ms: number;
  ok: boolean;
  status?: number;
  /** the error's class (or code) when it failed */
  error?: string;
  /** index into the site table */
  site: number;
}

/** The calls from one site to one origin, summarised over a time range. */
export interface OutboundSite {
  origin: string;
  /** the first application frame of the call's stack; undefined when the stack had none */
  frame?: StackFrame;
  calls: number;
  /** failed calls: no answer (refused, reset, aborted) or a 5xx answer */
  failed: number;
  meanMs: number;
  p99Ms: number;
  maxMs: number;
  /** epoch ms of the first and last call in the range */
  firstAt: number;
  lastAt: number;
  /** failures by error class, or `http_<status>` */
  failures: Record<string, number>;
}

export interface OutboundQuery {
  /** "host:port"; all origins when absent */
  origin?: string;
  /** epoch ms, inclusive: calls that started at or after */
  since?: number;
  /** epoch ms, inclusive: calls that started at or before */
  until?: number;
}

export interface OutboundAnswer {
  /** epoch ms until which calls are recorded (0: never watched) */
  watchingUntil: number;
  recorded: number;
  dropped: number;
  capacity: number;
  sites: OutboundSite[];
}

const MAX_SITES = 1000;
/** frames to walk: fetch's own frames (undici) sit between the channel and the application, ~30 deep */
const STACK_DEPTH = 60;

interface Pending {
  at: number;
  t0: number;
  origin: string;
  site: number;
  status?: number;
}

type CallSite = NodeJS.CallSite;

const defaultPort = (protocol: string | undefined): string => (protocol === 'https:' ? '443' : '80');

/** "http://127.0.0.1:7311" → "127.0.0.1:7311"; "https://x.test" → "x.test:443". */
export function originOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || defaultPort(u.protocol)}`;
  } catch {
    return url;
  }
}

/** "127.0.0.1:7311", "localhost:80", "[::1]:8080" → normalised "host:port" for comparison. */
export function normalOrigin(hostPort: string): string {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hostPort.trim());
  if (!m) return hostPort;
  return `${m[1] as string}:${m[2] ?? '80'}`;
}

/** The record of outbound calls, with the watch that turns recording on. */
export class OutboundMonitor {
  private readonly ring: OutboundCall[] = [];
  private next = 0;
  dropped = 0;
  private readonly sites: (StackFrame | undefined)[] = [];
  private readonly siteIds = new Map<string, number>();
  private readonly pending = new WeakMap<object, Pending>();
  private until = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private subscribed = false;
  private readonly handlers: Array<[string, (message: unknown) => void]>;

  constructor(
    private readonly isApp: (file: string) => boolean,
    readonly capacity = 20_000,
    private readonly clock: Clock = systemClock,
  ) {
    this.handlers = [
      ['undici:request:create', (m) => this.onUndiciCreate(m as { request: { origin?: unknown; method?: string } })],
      ['undici:request:headers', (m) => this.onUndiciHeaders(m as { request: object; response: { statusCode: number } })],
      ['undici:request:error', (m) => this.onUndiciError(m as { request: object; error: unknown })],
      // Node ≥ 22 publishes `created` in the request's constructor (the caller's stack is there); Node 20 only
      // `start`, after a tick: those calls are recorded without a call site
      ['http.client.request.created', (m) => this.onHttpStart(m as { request: HttpClientRequest })],
      ['http.client.request.start', (m) => this.onHttpStart(m as { request: HttpClientRequest })],
      ['http.client.response.finish', (m) => this.onHttpFinish(m as { request: HttpClientRequest; response: { statusCode?: number } })],
    ];
  }

  /** epoch ms until which calls are recorded (0 when never watched) */
  get watchingUntil(): number {
    return this.until;
  }

  get watching(): boolean {
    return this.subscribed;
  }

  get size(): number {
    return this.ring.length;
  }

  /** Records calls for `ttlMs` from now (a later deadline of an earlier watch is kept). Returns the deadline. */
  watch(ttlMs: number): number {
    const until = this.clock.now() + ttlMs;
    if (until <= this.until && this.subscribed) return this.until;
    this.until = Math.max(this.until, until);
    if (!this.subscribed) {
      for (const [name, fn] of this.handlers) dc.subscribe(name, fn);
      this.subscribed = true;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stop(), Math.max(0, this.until - this.clock.now()));
    this.timer.unref?.();
    return this.until;
  }

  /** Stops recording now (what was recorded stays). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.subscribed) return;
    for (const [name, fn] of this.handlers) dc.unsubscribe(name, fn);
    this.subscribed = false;
    this.until = Math.min(this.until, this.clock.now());
  }

  /** Calls recorded (oldest first), filtered by origin and start time. */
  calls(q: OutboundQuery = {}): OutboundCall[] {
    const ordered = this.ring.length < this.capacity ? this.ring.slice() : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    const origin = q.origin === undefined ? undefined : normalOrigin(q.origin);
    return ordered.filter((c) => (origin === undefined || c.origin === origin) && (q.since === undefined || c.at >= q.since) && (q.until === undefined || c.at <= q.until));
  }

  /** The calls of `q` grouped by origin and call site, the busiest first. */
  summarize(q: OutboundQuery = {}): OutboundAnswer {
    const groups = new Map<string, OutboundCall[]>();
    for (const c of this.calls(q)) {
      const k = `${c.origin}\0${c.site}`;
      const g = groups.get(k);
      if (g) g.push(c);
      else groups.set(k, [c]);
    }
    const sites: OutboundSite[] = [];
    for (const list of groups.values()) {
      const first = list[0] as OutboundCall;
      const ms = list.map((c) => c.ms).sort((a, b) => a - b);
      const failures: Record<string, number> = {};
      for (const c of list) if (!c.ok) failures[c.error ?? `http_${c.status ?? '?'}`] = (failures[c.error ?? `http_${c.status ?? '?'}`] ?? 0) + 1;
      const frame = this.sites[first.site];
      sites.push({
        origin: first.origin,
        ...(frame ? { frame } : {}),
        calls: list.length,
        failed: list.filter((c) => !c.ok).length,
        meanMs: ms.reduce((s, v) => s + v, 0) / ms.length,
        p99Ms: ms[Math.min(ms.length - 1, Math.ceil(0.99 * ms.length) - 1)] as number,
        maxMs: ms[ms.length - 1] as number,
        firstAt: list[0]?.at ?? 0,
        lastAt: list[list.length - 1]?.at ?? 0,
        failures,
      });
    }
    sites.sort((a, b) => b.calls - a.calls || a.origin.localeCompare(b.origin));
    return { watchingUntil: this.until, recorded: this.ring.length, dropped: this.dropped, capacity: this.capacity, sites };
  }

  clear(): number {
    const n = this.ring.length;
    this.ring.length = 0;
    this.next = 0;
    return n;
  }

  // -------------------------------------------------------------------------------------------------------
  // channel handlers: each is guarded, a failure here must never reach the application's call

  private begin(key: object, origin: string): void {
    try {
      this.pending.set(key, { at: this.clock.now(), t0: performance.now(), origin, site: this.site() });
    } catch {
      // not recorded
    }
  }

  private end(key: object, ok: boolean, extra: { status?: number; error?: string }): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    this.push({ at: p.at, origin: p.origin, ms: performance.now() - p.t0, ok, ...extra, site: p.site });
  }

  private onUndiciCreate(m: { request: { origin?: unknown } }): void {
    const o = m.request.origin;
    if (o === undefined || o === null) return;
    this.begin(m.request, originOf(String(o)));
  }

  private onUndiciHeaders(m: { request: object; response: { statusCode: number } }): void {
    const status = m.response.statusCode;
    this.end(m.request, status < 500, { status });
  }

  private onUndiciError(m: { request: object; error: unknown }): void {
    this.end(m.request, false, { error: errorName(m.error) });
  }

  private onHttpStart(m: { request: HttpClientRequest }): void {
    const req = m.request;
    if (this.pending.has(req as object)) return;
    try {
      const host = req.getHeader?.('host');
      const origin = typeof host === 'string' && host !== '' ? normalOrigin(host.includes(':') ? host : `${host}:${defaultPort(req.protocol)}`) : `${req.host ?? '?'}:${defaultPort(req.protocol)}`;
      this.begin(req, origin);
      // 'close' always comes; a listener on it changes nothing for the application (an 'error' listener would)
      req.once?.('close', () => {
        if (this.pending.has(req)) this.end(req, false, { error: req.destroyed ? 'destroyed' : 'no response' });
      });
    } catch {
      // not recorded
    }
  }

  private onHttpFinish(m: { request: HttpClientRequest; response: { statusCode?: number } }): void {
    const status = m.response.statusCode ?? 0;
    this.end(m.request, status > 0 && status < 500, { status });
  }

  private push(c: OutboundCall): void {
    if (this.ring.length < this.capacity) this.ring.push(c);
    else {
      this.ring[this.next] = c;
      this.next = (this.next + 1) % this.capacity;
      this.dropped++;
    }
  }

  /** The index of the first application frame of the current stack (structured call sites, no string formatting). */
  private site(): number {
    const frame = this.appFrame();
    const key = frame ? `${frame.file}:${frame.line}:${frame.column}:${frame.fn ?? ''}` : '';
    let id = this.siteIds.get(key);
    if (id === undefined) {
      if (this.sites.length >= MAX_SITES) return this.siteIds.get('') ?? this.addSite('', undefined);
      id = this.addSite(key, frame);
    }
    return id;
  }

  private addSite(key: string, frame: StackFrame | undefined): number {
    const id = this.sites.length;
    this.sites.push(frame);
    this.siteIds.set(key, id);
    return id;
  }

  private appFrame(): StackFrame | undefined {
    const E = Error as unknown as { prepareStackTrace?: unknown; stackTraceLimit: number };
    const prepare = E.prepareStackTrace;
    const limit = E.stackTraceLimit;
    let sites: CallSite[] = [];
    try {
      E.prepareStackTrace = (_e: unknown, cs: CallSite[]) => cs;
      E.stackTraceLimit = STACK_DEPTH;
      const holder: { stack?: CallSite[] } = {};
      Error.captureStackTrace(holder);
      sites = holder.stack ?? [];
    } finally {
      E.prepareStackTrace = prepare;
      E.stackTraceLimit = limit;
    }
    for (const cs of sites) {
      let file = cs.getFileName() ?? '';
      if (file.startsWith('file:')) {
        try {
          file = fileURLToPath(file);
        } catch {
          continue;
        }
      }
      if (file === '' || !this.isApp(file)) continue;
      const fn = cs.getFunctionName() ?? undefined;
      return { file, line: cs.getLineNumber() ?? 0, column: cs.getColumnNumber() ?? 0, app: true, ...(fn ? { fn } : {}) };
    }
    return undefined;
  }
}

interface HttpClientRequest {
  getHeader?(name: string): unknown;
  host?: string;
  protocol?: string;
  destroyed?: boolean;
  once?(event: 'close', fn: () => void): unknown;
}

function errorName(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const cause = (e as { cause?: { code?: unknown } }).cause;
    return typeof code === 'string' ? code : typeof cause?.code === 'string' ? cause.code : e.name;
  }
  return typeof e;
}

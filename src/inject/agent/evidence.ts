import { fileURLToPath } from 'node:url';

/**
 * 'blocking-call': not an error but a synchronous call an iolatency fault held (the event loop was blocked);
 * 'cpu-profile' / 'heap-profile': not errors but the top application functions of a `profile` probe (self time; live allocations)
 */
export type ErrorSource = 'function' | 'uncaughtException' | 'unhandledRejection' | 'response' | 'blocking-call' | 'cpu-profile' | 'heap-profile';

export interface StackFrame {
  /** function as V8 names it (`Cart.add`, `async computeTotal`), absent for anonymous top-level code */
  fn?: string;
  /** absolute path for file: modules, else as printed (`node:internal/…`) */
  file: string;
  line: number;
  column: number;
  /** true for the application's own files (not node: internals, node_modules or faultline itself) */
  app: boolean;
}

export interface ErrorRecord {
  /** increasing number, unique in this agent */
  seq: number;
  /** ISO-8601 */
  ts: string;
  source: ErrorSource;
  /** the faults active when it was seen */
  faultIds: string[];
  /** true when the agent itself raised it (a `throw` fault) or answered it (a route `status` fault) */
  injected: boolean;
  class: string;
  message: string;
  code?: string;
  stack?: string;
  frames: StackFrame[];
  /** for source 'function': the instrumented function the error propagated out of */
  module?: string;
  fn?: string;
  /** for source 'response': "GET /path", the status and the last error recorded while the request was in flight */
  route?: string;
  status?: number;
  relatedSeq?: number;
  /** how many occurrences this record stands for (a 'blocking-call' record counts the held calls of one call site); absent = 1 */
  count?: number;
  /** source 'cpu-profile': the function's self time on the event loop, and the wall time profiled (ms) */
  selfMs?: number;
  profiledMs?: number;
  /** source 'heap-profile': bytes allocated in the function that were still live after a full GC at the end */
  liveBytes?: number;
  /** source 'heap-profile' (every record): used JS heap after a full GC at the end minus at the start (negative: it shrank) */
  heapGrowthBytes?: number;
}

export interface ErrorQuery {
  faultId?: string;
  sinceSeq?: number;
  limit?: number;
}

const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;

/** Parses V8 stack lines into frames (top first); lines without file:line:col (native, eval) are skipped. */
export function parseStack(stack: string | undefined, isApp: (file: string) => boolean, max = 10): StackFrame[] {
  if (!stack) return [];
  const frames: StackFrame[] = [];
  for (const line of stack.split('\n')) {
    if (frames.length >= max) break;
    const m = FRAME.exec(line);
    if (!m) continue;
    let file = m[2] as string;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        // keep the URL as printed
      }
    }
    const frame: StackFrame = { file, line: Number(m[3]), column: Number(m[4]), app: isApp(file) };
    if (m[1] !== undefined) frame.fn = m[1];
    frames.push(frame);
  }
  return frames;
}

/** A bounded ring of error records: the newest `capacity` are kept, `dropped` counts the rest. */
export class ErrorRing {
  private readonly items: ErrorRecord[] = [];
  private next = 0;
  private seq = 0;
  dropped = 0;
  constructor(readonly capacity = 1000) {}

  push(rec: Omit<ErrorRecord, 'seq'>): ErrorRecord {
    const full: ErrorRecord = { seq: ++this.seq, ...rec };
    if (this.items.length < this.capacity) this.items.push(full);
    else {
      this.items[this.next] = full;
      this.next = (this.next + 1) % this.capacity;
      this.dropped++;
    }
    return full;
  }

  /** the seq of the newest record (0 when none) */
  get lastSeq(): number {
    return this.seq;
  }

  get size(): number {
    return this.items.length;
  }

  /** oldest first */
  list(q: ErrorQuery = {}): ErrorRecord[] {
    const ordered = this.items.length < this.capacity ? this.items.slice() : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
    const filtered = ordered.filter((r) => (q.faultId === undefined || r.faultIds.includes(q.faultId)) && (q.sinceSeq === undefined || r.seq > q.sinceSeq));
    return q.limit !== undefined ? filtered.slice(-q.limit) : filtered;
  }

  clear(): number {
    const n = this.items.length;
    this.items.length = 0;
    this.next = 0;
    return n;
  }
}

/** Class name, message, code and stack of anything thrown (errors, strings, objects). */
export function describeThrown(e: unknown): { class: string; message: string; code?: string; stack?: string } {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return {
      class: e.constructor?.name || e.name || 'Error',
      message: e.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof e.stack === 'string' ? { stack: e.stack } : {}),
    };
  }
  if (e !== null && typeof e === 'object') {
    const o = e as { message?: unknown; stack?: unknown; constructor?: { name?: string } };
    return {
      class: o.constructor?.name ?? 'Object',
      message: typeof o.message === 'string' ? o.message : safeString(e),
      ...(typeof o.stack === 'string' ? { stack: o.stack } : {}),
    };
  }
  return { class: typeof e, message: safeString(e) };
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

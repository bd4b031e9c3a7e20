import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { ActiveFault } from '../../core/fault.js';
import type { Rng } from '../../core/rng.js';
import type { ErrorRecord, ErrorSource } from './evidence.js';

export type AgentFaultKindName = 'throw' | 'null' | 'undefined' | 'delay' | 'block' | 'corrupt' | 'status' | 'abort' | 'leak' | 'iolatency' | 'profile';
export const AGENT_FAULT_KINDS: readonly AgentFaultKindName[] = ['throw', 'null', 'undefined', 'delay', 'block', 'corrupt', 'status', 'abort', 'leak', 'iolatency', 'profile'];

/** A fault aims at instrumented functions (module + fn), at HTTP routes (route), or at the whole process (an empty target). */
export type TargetType = 'function' | 'route' | 'process';

export interface AgentFaultTarget {
  /** module pattern (path suffix or glob); absent = any module */
  module?: string;
  /** function name or `*` pattern: `fetchPrice`, `Cart.prototype.add`, `Cart.prototype.*` */
  fn?: string;
  /** "GET /items/*" or "/items/*" */
  route?: string;
}

/** A fault as the agent reports it (GET /v1/faults, POST answer). */
export interface AgentFault extends ActiveFault {
  kind: AgentFaultKindName;
  layer: 'agent';
  target: AgentFaultTarget;
  /** 0..1, drawn per call (or request) with the fault's seeded generator */
  probability: number;
  seed: number;
  maxHits?: number;
  /** calls (or requests) the fault matched */
  calls: number;
  /** calls (or requests) the fault was applied to */
  hits: number;
  /** functions it currently applies to ("<module path>#<name>"); empty for route faults */
  matched: string[];
}

/** One instrumented function (or method). */
export interface FnRecord {
  /** "<module path>#<first name>" */
  id: string;
  module: string;
  url: string;
  format: 'esm' | 'cjs';
  /** names a target may use: export names, local name, `Class.prototype.method`, `Class.staticMethod` */
  names: string[];
  /** declared `async` (returns a promise) */
  async: boolean;
  /** faults aimed at it, in creation order (the wrapper's slow path reads this) */
  faults: FaultState[];
}

export interface FnInfo {
  id: string;
  module: string;
  format: 'esm' | 'cjs';
  names: string[];
  async: boolean;
}

export interface CallContext<P> {
  params: P;
  fault: AgentFault;
  rng: Rng;
  rec: FnRecord;
  /** calls the original function with the call's receiver and arguments */
  invoke(): unknown;
  /** the wrapper, for Error.captureStackTrace */
  wrapper: (...args: unknown[]) => unknown;
  /** marks an error as raised by the agent (evidence records it as injected) */
  markInjected(e: Error): void;
}

export interface RequestContext<P> {
  params: P;
  fault: AgentFault;
  rng: Rng;
  server: Server;
  req: IncomingMessage;
  res: ServerResponse;
  /** lets the application see the request (the original emit) */
  pass(): boolean;
  markInjected(e: Error): void;
}

/** What a process-wide kind (leak) gets when its fault starts. */
export interface ProcessContext<P> {
  params: P;
  fault: AgentFault;
  /** the agent's clock: its setTimeout is unref'd, so a running fault never keeps the target alive */
  clock: Clock;
  /** one line to stderr, once per key, with the `[faultline-agent]` prefix */
  logOnce(key: string, message: string): void;
  /** the fault's seeded generator (per-call draws of a kind that acts on calls process-wide, e.g. iolatency's percent) */
  rng: Rng;
  /**
   * Records evidence that is not a thrown error (iolatency: a synchronous call it held), attributed to this fault
   * first; frames are parsed from `stack`. Returns the record (a kind may update its `count` in place), or undefined
   * when nothing was recorded.
   */
  record(r: { source: ErrorSource; class: string; message: string; stack?: string }): ErrorRecord | undefined;
  /** true for faultline's own files (the agent's own calls are not the application's) */
  isInternal(file: string): boolean;
  /** true for the application's own files (an absolute path, not node_modules, not faultline): StackFrame.app */
  isApp(file: string): boolean;
}

/** One fault kind: validation of its params and how it acts on a call, a request and/or the whole process. */
export interface AgentFaultKind<P> {
  readonly name: AgentFaultKindName;
  readonly summary: string;
  /** validates params (throws FL_ERR_AGENT_FAULT naming `params.<field>`); `matched` are the functions a function fault hits */
  parse(raw: Record<string, unknown>, on: TargetType, matched: readonly FnRecord[]): P;
  /** whether a function registered after the fault was created can take it (default: yes) */
  applies?(params: P, rec: FnRecord): boolean;
  call?(c: CallContext<P>): unknown;
  request?(c: RequestContext<P>): boolean;
  /**
   * a process-wide fault: starts when the fault is added; the function it returns stops it (revert, TTL, end). A stop
   * that returns a promise (profile: its last GC runs as a task) may still record() until it settles; the control API
   * answers a revert, and GET /v1/errors, only once every such stop has settled.
   */
  start?(c: ProcessContext<P>): () => void | Promise<void>;
}

export interface FaultState {
  fault: AgentFault;
  kind: AgentFaultKind<unknown>;
  params: unknown;
  rng: Rng;
  on: TargetType;
  matchFn: (rec: FnRecord) => boolean;
  matchRoute: (method: string, path: string) => boolean;
  cancel(): void;
}

/** Erases a kind's parameter type for the registry. */
export function defineKind<P>(k: AgentFaultKind<P>): AgentFaultKind<unknown> {
  return k as unknown as AgentFaultKind<unknown>;
}

/** GET /v1/agent */
export interface AgentInfo {
  pid: number;
  version: string;
  node: string;
  argv: string[];
  startedAt: string;
  uptimeMs: number;
  seed: number;
  modules: { instrumented: number; skipped: number };
  functions: number;
  faults: number;
  errors: { recorded: number; dropped: number; capacity: number };
}

/** The body of POST /v1/faults (see docs/reference/agent.md). */
export interface AgentFaultRequest {
  kind: AgentFaultKindName;
  target: AgentFaultTarget;
  ttlMs: number;
  probability?: number;
  maxHits?: number;
  seed?: number;
  params?: Record<string, unknown>;
  actor?: string;
}

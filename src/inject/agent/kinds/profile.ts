import type { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import type { ErrorRecord, StackFrame } from '../evidence.js';
import { bad, onlyKeys, optBoolean, optNumber } from '../params.js';
import { defineKind, type ProcessContext } from '../types.js';

export interface ProfileParams {
  /** sample the CPU (where the event loop's time went) */
  cpu: boolean;
  /** sample allocations (what stayed live after a full GC) and measure the heap's growth */
  heap: boolean;
  /** the CPU sampler's interval, µs */
  cpuIntervalUs: number;
  /** the heap sampler's average interval between samples, bytes */
  heapIntervalBytes: number;
  /** how many application functions each profile records, top first */
  top: number;
}

export const PROFILE_DEFAULTS: Readonly<ProfileParams> = { cpu: true, heap: true, cpuIntervalUs: 1000, heapIntervalBytes: 16_384, top: 5 };

// ---------------------------------------------------------------------------------------------------------------
// The two profiles as the inspector protocol gives them (the fields used here; Profiler.Profile and
// HeapProfiler.SamplingHeapProfile in the V8 protocol), and their aggregation per application function.

export interface ProfileCallFrame {
  functionName: string;
  scriptId?: string;
  /** file:///…, node:internal/…, '' for native code and the VM's own entries ((program), (garbage collector)) */
  url: string;
  /** 0-based position of the function's start */
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: ProfileCallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** µs */
  startTime: number;
  endTime: number;
  /** the node of each sample, in order */
  samples?: number[];
  /** µs between a sample and the previous one (the first: since startTime) */
  timeDeltas?: number[];
}

export interface HeapProfileNode {
  id: number;
  callFrame: ProfileCallFrame;
  /** bytes of the sampled allocations made in this node (its own, not its children's) still live */
  selfSize: number;
  children: HeapProfileNode[];
}

export interface HeapProfile {
  head: HeapProfileNode;
  samples?: Array<{ size: number; nodeId: number; ordinal: number }>;
}

/** One application function: its start (1-based line and column) in an absolute file. */
export interface ProfileSite {
  fn: string;
  file: string;
  line: number;
  column: number;
}

export interface CpuSite extends ProfileSite {
  /** self time (on the function's own code, not its callees'), ms */
  selfMs: number;
  samples: number;
}

export interface HeapSite extends ProfileSite {
  /** bytes allocated here (or in code it called that is not the application's) still live at the end */
  liveBytes: number;
  samples: number;
}

/** The absolute path of a profile's script url (file: URL or an absolute path); undefined for node:, native and VM entries. */
export function scriptPath(url: string): string | undefined {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return url.startsWith('/') ? url : undefined;
}

function siteOf(cf: ProfileCallFrame, isApp: (file: string) => boolean): (ProfileSite & { key: string }) | undefined {
  const file = scriptPath(cf.url);
  if (file === undefined || !isApp(file)) return undefined;
  const fn = cf.functionName === '' ? '(anonymous)' : cf.functionName;
  const line = cf.lineNumber + 1;
  const column = cf.columnNumber + 1;
  return { key: `${file}:${line}:${column}:${fn}`, fn, file, line, column };
}

/**
 * Self time per application function of a CPU profile, most first, and the wall time profiled (ms). A sample lasts
 * until the next one (the last: until endTime), as DevTools counts it; a profile without timed samples falls back to
 * hitCount × intervalUs. A function met on several call paths (several nodes) is one site.
 */
export function cpuSites(profile: CpuProfile, isApp: (file: string) => boolean, intervalUs = PROFILE_DEFAULTS.cpuIntervalUs): { profiledMs: number; sites: CpuSite[] } {
  const profiledMs = Math.max(0, profile.endTime - profile.startTime) / 1000;
  const selfUs = new Map<number, number>();
  const count = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    let t = profile.startTime;
    const at: number[] = [];
    for (const d of deltas) at.push((t += d));
    for (let i = 0; i < samples.length; i++) {
      const id = samples[i] as number;
      const next = i + 1 < samples.length ? (at[i + 1] as number) : profile.endTime;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, next - (at[i] as number)));
      count.set(id, (count.get(id) ?? 0) + 1);
    }
  } else {
    for (const n of profile.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      selfUs.set(n.id, hits * intervalUs);
      count.set(n.id, hits);
    }
  }
  const bySite = new Map<string, CpuSite>();
  for (const n of profile.nodes) {
    const us = selfUs.get(n.id);
    if (us === undefined) continue;
    const s = siteOf(n.callFrame, isApp);
    if (!s) continue;
    const { key, ...site } = s;
    const seen = bySite.get(key);
    if (seen) {
      seen.selfMs += us / 1000;
      seen.samples += count.get(n.id) ?? 0;
    } else bySite.set(key, { ...site, selfMs: us / 1000, samples: count.get(n.id) ?? 0 });
  }
  const sites = [...bySite.values()].filter((s) => s.selfMs > 0).sort((a, b) => b.selfMs - a.selfMs || b.samples - a.samples);
  return { profiledMs, sites };
}

/**
 * Live bytes per application function of a sampling heap profile taken after a full GC, most first. An allocation
 * counts for the innermost application frame of its stack: made in node internals or a dependency called from
 * `fetchPrice`, it is fetchPrice's. Allocations with no application frame on their stack are left out.
 */
export function heapSites(profile: HeapProfile, isApp: (file: string) => boolean): HeapSite[] {
  const bySite = new Map<string, HeapSite>();
  const siteOfNode = new Map<number, HeapSite>();
  const walk: Array<{ node: HeapProfileNode; owner: HeapSite | undefined }> = [{ node: profile.head, owner: undefined }];
  while (walk.length > 0) {
    const { node, owner: inherited } = walk.pop() as { node: HeapProfileNode; owner: HeapSite | undefined };
    let owner = inherited;
    const s = siteOf(node.callFrame, isApp);
    if (s) {
      const { key, ...site } = s;
      owner = bySite.get(key);
      if (!owner) {
        owner = { ...site, liveBytes: 0, samples: 0 };
        bySite.set(key, owner);
      }
    }
    if (owner) {
      owner.liveBytes += node.selfSize;
      siteOfNode.set(node.id, owner);
    }
    for (const child of node.children ?? []) walk.push({ node: child, owner });
  }
  for (const sample of profile.samples ?? []) {
    const owner = siteOfNode.get(sample.nodeId);
    if (owner) owner.samples++;
  }
  return [...bySite.values()].filter((s) => s.liveBytes > 0).sort((a, b) => b.liveBytes - a.liveBytes || b.samples - a.samples);
}

/** "1.9 MiB", "12.0 KiB", "300 B" (binary units, as the process faults print sizes) */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

const grew = (bytes: number): string => (bytes >= 0 ? `heap grew ${formatBytes(bytes)}` : `heap shrank ${formatBytes(-bytes)}`);
const round1 = (n: number): number => Math.round(n * 10) / 10;

export function cpuMessage(s: CpuSite, profiledMs: number): string {
  const pct = profiledMs > 0 ? ((100 * s.selfMs) / profiledMs).toFixed(1) : '0.0';
  return `${s.fn}: on the event loop ${Math.round(s.selfMs)} ms of ${Math.round(profiledMs)} ms profiled (${pct} %), self time`;
}

export function heapMessage(s: HeapSite, growthBytes: number): string {
  return `${formatBytes(s.liveBytes)} live after GC, allocated in ${s.fn} while profiled (${grew(growthBytes)})`;
}

export function heapGrowthMessage(growthBytes: number): string {
  return `${grew(growthBytes)} after GC; no live allocation of the application's code`;
}

// ---------------------------------------------------------------------------------------------------------------
// The probe: an in-process inspector session (node:inspector), no --inspect and no --expose-gc.

/** One post on the session as a promise (the in-process session answers most methods at once; collectGarbage runs as a task). */
function post<T = Record<string, unknown>>(session: Session, method: string, params?: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cb = (err: Error | null, result?: object): void => (err ? reject(err) : resolve((result ?? {}) as T));
    if (params === undefined) session.post(method, cb);
    else session.post(method, params, cb);
  });
}

const require = createRequire(import.meta.url);

/** A connected in-process session; node:inspector is loaded here, not with the agent (a Node built without it throws on load). */
function openSession(): Session {
  let mod: typeof import('node:inspector');
  try {
    mod = require('node:inspector') as typeof import('node:inspector');
  } catch (e) {
    throw bad('kind', `profile needs node:inspector, which this Node does not have (${(e as Error).message})`);
  }
  const session = new mod.Session();
  session.connect();
  return session;
}

/** the profile running in this process (V8 has one sampling heap profiler per isolate): its fault id */
let running: string | undefined;

function frameOf(s: ProfileSite): StackFrame {
  return { fn: s.fn, file: s.file, line: s.line, column: s.column, app: true };
}

/**
 * The probe's life: started at once (cpu: sampling at the interval; heap: a full GC, the used heap, then allocation
 * sampling), stopped by stop(), whose promise settles once every record is in the evidence ring.
 */
class Probe {
  private readonly session = openSession();
  private readonly started: Promise<void>;
  private heapStart: number | undefined;
  private heapOn = false;
  private cpuOn = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly c: ProcessContext<ProfileParams>) {
    this.started = this.start();
  }

  private async start(): Promise<void> {
    const { params } = this.c;
    // the CPU profiler first: starting it allocates on the heap once (V8 collects the source positions of every
    // function, some 300-600 KiB in a small service), which must not count as the heap's growth
    if (params.cpu) {
      try {
        await post(this.session, 'Profiler.enable');
        await post(this.session, 'Profiler.setSamplingInterval', { interval: params.cpuIntervalUs });
        await post(this.session, 'Profiler.start');
        this.cpuOn = true;
      } catch (e) {
        this.c.logOnce(`profile-cpu:${this.c.fault.id}`, `profile ${this.c.fault.id}: could not start the CPU profiler: ${(e as Error).message}`);
      }
    }
    if (params.heap) {
      try {
        await post(this.session, 'HeapProfiler.enable');
        await post(this.session, 'HeapProfiler.collectGarbage');
        this.heapStart = getHeapStatistics().used_heap_size;
        await post(this.session, 'HeapProfiler.startSampling', { samplingInterval: params.heapIntervalBytes });
        this.heapOn = true;
      } catch (e) {
        this.c.logOnce(`profile-heap:${this.c.fault.id}`, `profile ${this.c.fault.id}: could not start the heap sampler: ${(e as Error).message}`);
      }
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.finish();
    return this.stopping;
  }

  private async finish(): Promise<void> {
    try {
      await this.started;
      // the CPU profile ends now, before the GC below; only its sites are kept (the profile object is garbage by
      // the time the heap is measured)
      let cpu: { profiledMs: number; sites: CpuSite[] } | undefined;
      if (this.cpuOn) {
        const profile = (await post<{ profile: CpuProfile }>(this.session, 'Profiler.stop')).profile;
        cpu = cpuSites(profile, (f) => this.c.isApp(f), this.c.params.cpuIntervalUs);
        cpu.sites.length = Math.min(cpu.sites.length, this.c.params.top);
        await post(this.session, 'Profiler.disable').catch(() => undefined);
      }
      let heap: HeapSite[] | undefined;
      let growth: number | undefined;
      if (this.heapOn) {
        // after a full GC the sampling profile holds only what is still live; the used heap is read before the
        // profile object is built (it would count itself)
        await post(this.session, 'HeapProfiler.collectGarbage');
        growth = getHeapStatistics().used_heap_size - (this.heapStart ?? 0);
        const profile = (await post<{ profile: HeapProfile }>(this.session, 'HeapProfiler.getSamplingProfile')).profile;
        await post(this.session, 'HeapProfiler.stopSampling');
        heap = heapSites(profile, (f) => this.c.isApp(f)).slice(0, this.c.params.top);
        await post(this.session, 'HeapProfiler.disable').catch(() => undefined);
      }
      if (cpu) this.recordCpu(cpu.sites, cpu.profiledMs);
      if (heap && growth !== undefined) this.recordHeap(heap, growth);
    } finally {
      try {
        this.session.disconnect();
      } catch {
        // already gone
      }
      if (running === this.c.fault.id) running = undefined;
    }
  }

  private recordCpu(sites: readonly CpuSite[], profiledMs: number): void {
    const { c } = this;
    for (const s of sites) {
      this.put(c.record({ source: 'cpu-profile', class: 'CpuProfile', message: cpuMessage(s, profiledMs) }), s, { count: s.samples, selfMs: round1(s.selfMs), profiledMs: round1(profiledMs) });
    }
  }

  private recordHeap(sites: readonly HeapSite[], growth: number): void {
    const { c } = this;
    for (const s of sites) {
      this.put(c.record({ source: 'heap-profile', class: 'HeapProfile', message: heapMessage(s, growth) }), s, { count: s.samples, liveBytes: s.liveBytes, heapGrowthBytes: growth });
    }
    // the growth is always reported, even when nothing of the application's stayed live
    if (sites.length === 0) {
      const rec = c.record({ source: 'heap-profile', class: 'HeapProfile', message: heapGrowthMessage(growth) });
      if (rec) rec.heapGrowthBytes = growth;
    }
  }

  /** the record's location and figures, set in place (record() takes a message and a stack only) */
  private put(rec: ErrorRecord | undefined, s: ProfileSite, extra: Partial<ErrorRecord>): void {
    if (!rec) return;
    rec.fn = s.fn;
    rec.frames = [frameOf(s)];
    Object.assign(rec, extra);
  }
}

/**
 * profile: not a fault but a probe a card runs alongside its fault. A process-wide kind (empty target) that samples
 * the CPU and the heap through an in-process inspector session for as long as it runs; when it ends (revert or TTL)
 * it records the top application functions by self time ('cpu-profile') and by bytes still live after a full GC
 * ('heap-profile', with the heap's growth between a full GC at each end) as evidence of its fault id. The revert is
 * answered once the records are in.
 */
export const profileKind = defineKind<ProfileParams>({
  name: 'profile',
  summary: 'a probe, not a fault: samples CPU and heap while it runs; records the top app functions by self time and by live bytes after GC, and the heap growth',
  parse(raw) {
    onlyKeys(raw, ['cpu', 'heap', 'cpuIntervalUs', 'heapIntervalBytes', 'top'], 'profile');
    const cpu = optBoolean(raw.cpu, 'params.cpu') ?? PROFILE_DEFAULTS.cpu;
    const heap = optBoolean(raw.heap, 'params.heap') ?? PROFILE_DEFAULTS.heap;
    if (!cpu && !heap) throw bad('params', 'cpu and heap are both false: nothing to profile');
    const cpuIntervalUs = optNumber(raw.cpuIntervalUs, 'params.cpuIntervalUs', { min: 100, max: 100_000, int: true }) ?? PROFILE_DEFAULTS.cpuIntervalUs;
    const heapIntervalBytes = optNumber(raw.heapIntervalBytes, 'params.heapIntervalBytes', { min: 1024, max: 1_048_576, int: true }) ?? PROFILE_DEFAULTS.heapIntervalBytes;
    const top = optNumber(raw.top, 'params.top', { min: 1, max: 50, int: true }) ?? PROFILE_DEFAULTS.top;
    return { cpu, heap, cpuIntervalUs, heapIntervalBytes, top };
  },
  start(c) {
    if (running !== undefined) throw bad('kind', `a profile (${running}) is already running in this process; revert it or wait for its TTL (V8 samples the heap once per process)`);
    running = c.fault.id;
    let probe: Probe;
    try {
      probe = new Probe(c);
    } catch (e) {
      running = undefined;
      throw e;
    }
    return () => probe.stop();
  },
});

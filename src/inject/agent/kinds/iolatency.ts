import { createRequire, syncBuiltinESMExports } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rng } from '../../../core/rng.js';
import { parseStack, type ErrorRecord } from '../evidence.js';
import { globToRegExp } from '../glob.js';
import { bad, blockFor, onlyKeys, optDurationMs, optNumber } from '../params.js';
import { defineKind, type AgentFault, type ProcessContext } from '../types.js';

/** The CommonJS objects whose properties are patched; ESM `node:fs` / `node:fs/promises` follow through syncBuiltinESMExports. */
const require = createRequire(import.meta.url);
const fs = require('node:fs') as Record<string, unknown> & { promises: Record<string, unknown> };

/** At most this many ms per call: a disk slower than 10 s is a hung disk, not a slow one. */
export const IOLATENCY_MAX_MS = 10_000;

/**
 * The node:fs functions that take a path, by base name, with how many leading path arguments they take (copyFile,
 * cp, link, rename, symlink: two; the call matches when either path does) and which forms exist: `Sync`, the
 * callback form, and `fs.promises`.
 */
const METHODS: Readonly<Record<string, { paths: 1 | 2; sync: boolean; callback: boolean; promise: boolean }>> = {
  access: { paths: 1, sync: true, callback: true, promise: true },
  appendFile: { paths: 1, sync: true, callback: true, promise: true },
  chmod: { paths: 1, sync: true, callback: true, promise: true },
  chown: { paths: 1, sync: true, callback: true, promise: true },
  copyFile: { paths: 2, sync: true, callback: true, promise: true },
  cp: { paths: 2, sync: true, callback: true, promise: true },
  exists: { paths: 1, sync: true, callback: true, promise: false },
  lchmod: { paths: 1, sync: true, callback: true, promise: true },
  lchown: { paths: 1, sync: true, callback: true, promise: true },
  link: { paths: 2, sync: true, callback: true, promise: true },
  lstat: { paths: 1, sync: true, callback: true, promise: true },
  lutimes: { paths: 1, sync: true, callback: true, promise: true },
  mkdir: { paths: 1, sync: true, callback: true, promise: true },
  mkdtemp: { paths: 1, sync: true, callback: true, promise: true },
  open: { paths: 1, sync: true, callback: true, promise: true },
  opendir: { paths: 1, sync: true, callback: true, promise: true },
  readdir: { paths: 1, sync: true, callback: true, promise: true },
  readFile: { paths: 1, sync: true, callback: true, promise: true },
  readlink: { paths: 1, sync: true, callback: true, promise: true },
  realpath: { paths: 1, sync: true, callback: true, promise: true },
  rename: { paths: 2, sync: true, callback: true, promise: true },
  rm: { paths: 1, sync: true, callback: true, promise: true },
  rmdir: { paths: 1, sync: true, callback: true, promise: true },
  stat: { paths: 1, sync: true, callback: true, promise: true },
  statfs: { paths: 1, sync: true, callback: true, promise: true },
  symlink: { paths: 2, sync: true, callback: true, promise: true },
  truncate: { paths: 1, sync: true, callback: true, promise: true },
  unlink: { paths: 1, sync: true, callback: true, promise: true },
  utimes: { paths: 1, sync: true, callback: true, promise: true },
  writeFile: { paths: 1, sync: true, callback: true, promise: true },
};
export const IOLATENCY_METHODS: readonly string[] = Object.keys(METHODS);

export interface IoLatencyParams {
  ms: number;
  /** the glob, absolute (resolved against the target's cwd when it was relative) */
  path: string;
  /** base names (appendFile covers appendFileSync, fs.appendFile and fs.promises.appendFile) */
  methods: string[];
  /** 0..100, drawn per matching call */
  percent: number;
}

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;
type Form = 'sync' | 'callback' | 'promise';

/** One active iolatency fault, as the patch sees it. */
interface Entry {
  ms: number;
  match: (path: string) => boolean;
  methods: ReadonlySet<string>;
  percent: number;
  rng: Rng;
  fault: AgentFault;
  isInternal(file: string): boolean;
  /** a synchronous call held `ms`: evidence */
  held(label: string, path: string, stack: string | undefined): void;
}

/** The absolute path a path argument names; undefined for a file descriptor, a FileHandle or anything else. */
function pathArg(a: unknown): string | undefined {
  let p: string | undefined;
  if (typeof a === 'string') p = a;
  else if (Buffer.isBuffer(a)) p = a.toString();
  else if (a instanceof URL) {
    if (a.protocol !== 'file:') return undefined;
    try {
      p = fileURLToPath(a);
    } catch {
      return undefined;
    }
  }
  if (p === undefined || p === '') return undefined;
  return resolve(p);
}

function callerFile(stack: string | undefined): string | undefined {
  return parseStack(stack, () => true, 1)[0]?.file;
}

/**
 * The patch of node:fs: installed with the first iolatency fault, removed with the last (a property someone else
 * replaced after us is left in their chain: our function passes straight through while no fault is active).
 * A matching synchronous call blocks the thread for `ms` (Atomics.wait) and then runs; a matching callback or promise
 * call runs `ms` later (a timer; the event loop stays free). Calls made while a patched function runs (writeFileSync
 * inside appendFileSync, fs.open inside fs.writeFile) pass through, so one call is held once.
 */
class FsPatch {
  private entries: Entry[] = [];
  private saved: Array<{ holder: Record<string, unknown>; key: string; orig: unknown; patched: AnyFn }> = [];
  /** > 0 while a patched function's original runs */
  private depth = 0;

  add(e: Entry): void {
    this.entries = [...this.entries, e];
    if (this.entries.length === 1) this.install();
  }

  remove(e: Entry): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((x) => x !== e);
    if (before > 0 && this.entries.length === 0) this.uninstall();
  }

  /** The fault that takes this call (the first created whose draw succeeds), counting calls and hits; or undefined. */
  private choose(name: string, args: IArguments, paths: 1 | 2, self: AnyFn): { entry: Entry; path: string; stack: string | undefined } | undefined {
    const candidates: string[] = [];
    for (let i = 0; i < paths; i++) {
      const p = pathArg(args[i]);
      if (p !== undefined) candidates.push(p);
    }
    if (candidates.length === 0) return undefined;
    let path: string | undefined;
    const matching = this.entries.filter((e) => {
      if (!e.methods.has(name)) return false;
      const p = candidates.find((c) => e.match(c));
      if (p !== undefined) path ??= p;
      return p !== undefined;
    });
    if (matching.length === 0 || path === undefined) return undefined;
    // the call site: evidence for a synchronous call, and the agent's own files (its ledger, evidence file) are left alone
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, self);
    const stack = holder.stack;
    const file = callerFile(stack);
    for (const e of matching) {
      if (file !== undefined && e.isInternal(file)) continue;
      e.fault.calls++;
      if (e.rng.next() * 100 < e.percent) {
        e.fault.hits++;
        return { entry: e, path, stack };
      }
    }
    return undefined;
  }

  private wrap(name: string, form: Form, orig: AnyFn): AnyFn {
    const paths = (METHODS[name] as { paths: 1 | 2 }).paths;
    const label = form === 'sync' ? `${name}Sync` : form === 'promise' ? `fs.promises.${name}` : `fs.${name}`;
    const me = this;
    const run = (self: unknown, args: ArrayLike<unknown>): unknown => {
      me.depth++;
      try {
        return Reflect.apply(orig, self, args);
      } finally {
        me.depth--;
      }
    };
    let patched: AnyFn;
    if (form === 'sync') {
      patched = function (this: unknown): unknown {
        if (me.depth > 0 || me.entries.length === 0) return Reflect.apply(orig, this, arguments);
        const hit = me.safely(() => me.choose(name, arguments, paths, patched));
        if (hit) {
          blockFor(hit.entry.ms, false);
          me.safely(() => hit.entry.held(label, hit.path, hit.stack));
        }
        return run(this, arguments);
      };
    } else if (form === 'callback') {
      patched = function (this: unknown): unknown {
        if (me.depth > 0 || me.entries.length === 0) return Reflect.apply(orig, this, arguments);
        const cb = arguments[arguments.length - 1];
        // no callback: Node throws its own error at once
        if (typeof cb !== 'function') return run(this, arguments);
        const hit = me.safely(() => me.choose(name, arguments, paths, patched));
        if (!hit) return run(this, arguments);
        const self = this;
        const args = Array.from(arguments);
        // a ref'd timer: a pending disk operation keeps the process alive, as a real one does
        setTimeout(() => {
          let error: unknown;
          let threw = false;
          try {
            run(self, args);
          } catch (e) {
            threw = true;
            error = e;
          }
          // an argument Node refuses at once is handed to the callback (the caller has returned long ago)
          if (threw) (cb as (e: unknown) => void)(error);
        }, hit.entry.ms);
        return undefined;
      };
    } else {
      patched = function (this: unknown): unknown {
        if (me.depth > 0 || me.entries.length === 0) return Reflect.apply(orig, this, arguments);
        const hit = me.safely(() => me.choose(name, arguments, paths, patched));
        if (!hit) return run(this, arguments);
        const self = this;
        const args = Array.from(arguments);
        return new Promise<void>((r) => setTimeout(r, hit.entry.ms)).then(() => run(self, args));
      };
    }
    // name, length and own extras (realpath.native, exists[util.promisify.custom]) as the original has them
    for (const key of Reflect.ownKeys(orig)) {
      if (key === 'prototype' || key === 'caller' || key === 'arguments') continue;
      const d = Object.getOwnPropertyDescriptor(orig, key);
      if (d) {
        try {
          Object.defineProperty(patched, key, d);
        } catch {
          // a property that cannot be copied is not needed to call the function
        }
      }
    }
    return patched;
  }

  /** The patch must never break a file-system call: a failure of ours lets the call through untouched. */
  private safely<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch {
      return undefined;
    }
  }

  private install(): void {
    for (const [name, m] of Object.entries(METHODS)) {
      const forms: Array<[Record<string, unknown>, string, Form]> = [];
      if (m.sync) forms.push([fs, `${name}Sync`, 'sync']);
      if (m.callback) forms.push([fs, name, 'callback']);
      if (m.promise) forms.push([fs.promises, name, 'promise']);
      for (const [holder, key, form] of forms) {
        const orig = holder[key];
        if (typeof orig !== 'function') continue;
        const patched = this.wrap(name, form, orig as AnyFn);
        holder[key] = patched;
        this.saved.push({ holder, key, orig, patched });
      }
    }
    syncBuiltinESMExports();
  }

  private uninstall(): void {
    for (const s of this.saved) {
      // someone replaced it after us: stay in their chain (ours passes through while no fault is active)
      if (s.holder[s.key] === s.patched) s.holder[s.key] = s.orig;
    }
    this.saved = [];
    syncBuiltinESMExports();
  }
}

const patch = new FsPatch();

function parseMethods(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [...IOLATENCY_METHODS];
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : raw;
  if (!Array.isArray(list) || list.length === 0) throw bad('params.methods', `expected a non-empty list of node:fs function names such as ["appendFile","writeFile"], got ${JSON.stringify(raw)}`);
  const out: string[] = [];
  for (const n of list) {
    if (typeof n !== 'string') throw bad('params.methods', `expected function names, got ${JSON.stringify(n)}`);
    if (METHODS[n] === undefined) {
      const base = n.replace(/^(?:fs\.)?(?:promises\.)?/, '').replace(/Sync$/, '');
      const hint = METHODS[base] !== undefined && base !== n ? ` (give "${base}": it covers ${base}Sync, fs.${base} and fs.promises.${base})` : '';
      throw bad('params.methods', `"${n}" is not a path-taking node:fs function${hint}; known: ${IOLATENCY_METHODS.join(', ')}`);
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * iolatency: a slow disk, felt the way Node feels it. A process-wide fault (empty target) that holds node:fs calls on
 * matching paths `ms` longer: a synchronous call blocks the thread (the event loop stalls, as a sync syscall on a slow
 * disk stalls it) and is recorded as evidence at its call site; a callback or promise call runs `ms` later (the event
 * loop stays free, as a threadpool worker waits on the disk). Ends with revert or TTL: node:fs is restored.
 */
export const iolatencyKind = defineKind<IoLatencyParams>({
  name: 'iolatency',
  summary: 'node:fs calls on paths matching a glob take ms longer: Sync calls block the event loop, callback/promise calls are delayed',
  parse(raw) {
    onlyKeys(raw, ['ms', 'path', 'methods', 'percent'], 'iolatency');
    const ms = optDurationMs(raw.ms, 'params.ms', IOLATENCY_MAX_MS);
    if (ms === undefined) throw bad('params.ms', `is required (milliseconds each matching file-system call takes longer, 1..${IOLATENCY_MAX_MS})`);
    if (ms < 1) throw bad('params.ms', `must be at least 1 ms, got ${ms}`);
    const rawPath = raw.path;
    if (rawPath === undefined || rawPath === null) throw bad('params.path', 'is required (a glob on the absolute file path, e.g. "data/*.jsonl" or "/var/lib/app/**"; relative to the target\'s cwd)');
    if (typeof rawPath !== 'string' || rawPath.trim() === '') throw bad('params.path', `expected a glob such as "data/*.jsonl", got ${JSON.stringify(rawPath)}`);
    const trimmed = rawPath.trim();
    const path = isAbsolute(trimmed) ? trimmed : resolve(process.cwd(), trimmed);
    const methods = parseMethods(raw.methods);
    const percent = optNumber(raw.percent, 'params.percent', { min: 0, max: 100 }) ?? 100;
    return { ms, path, methods, percent };
  },
  start(c: ProcessContext<IoLatencyParams>) {
    const re = globToRegExp(c.params.path);
    // one evidence record per call site, counting its held calls
    const sites = new Map<string, ErrorRecord>();
    const entry: Entry = {
      ms: c.params.ms,
      match: (p) => re.test(p),
      methods: new Set(c.params.methods),
      percent: c.params.percent,
      rng: c.rng,
      fault: c.fault,
      isInternal: (file) => c.isInternal(file),
      held(label, path, stack) {
        const top = parseStack(stack, () => true, 1)[0];
        const key = `${label}\0${top ? `${top.file}:${top.line}:${top.column}` : ''}`;
        const seen = sites.get(key);
        if (seen) {
          seen.count = (seen.count ?? 1) + 1;
          return;
        }
        const message = `${label}(${path}) held ${c.params.ms} ms by iolatency: a synchronous call, the event loop was blocked`;
        const rec = c.record({
          source: 'blocking-call',
          class: 'BlockingIO',
          message,
          // the captured stack's first line is a bare "Error": name what happened instead
          ...(stack === undefined ? {} : { stack: stack.replace(/^[^\n]*/, `BlockingIO: ${message}`) }),
        });
        if (rec) {
          rec.count = 1;
          sites.set(key, rec);
        }
      },
    };
    patch.add(entry);
    return () => patch.remove(entry);
  },
});

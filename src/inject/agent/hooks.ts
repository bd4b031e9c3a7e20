/**
 * ESM loader hooks (module.register, Node ≥ 20.6). They run on the loader thread: `load` appends the
 * re-binding line to the application's own modules (file: URLs that pass the include/exclude filter)
 * and reports modules it leaves alone: to stderr at once (synchronously, so a short script does not
 * exit before the line is written) and to the main thread over a MessagePort (for GET /v1/functions).
 * A module matching FAULTLINE_AGENT_BREAK_MODULES is not loaded at all: `load` throws the injected SyntaxError.
 */
import { writeSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { compileBreakMatcher, injectedLoadFailure } from './break-modules.js';
import { compilePathFilter } from './glob.js';
import { instrumentSource } from './instrument.js';

export interface HooksData {
  include: string[];
  exclude: string[];
  /** folders never instrumented (faultline itself) */
  internalDirs: string[];
  /** FAULTLINE_AGENT_BREAK_MODULES patterns: these modules fail to load */
  breakModules?: string[];
  port?: MessagePort;
}

export type HookMessage = { type: 'skipped'; url: string; reason: string };

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;

let keep: (path: string) => boolean = () => false;
let broken: (path: string) => boolean = () => false;
let port: MessagePort | undefined;

export function initialize(data: HooksData): void {
  keep = compilePathFilter(data.include, data.exclude, data.internalDirs);
  broken = compileBreakMatcher(data.breakModules ?? [], data.internalDirs);
  port = data.port;
}

function report(msg: HookMessage): void {
  try {
    writeSync(2, `[faultline-agent] left ${fileURLToPath(msg.url)} uninstrumented: ${msg.reason}\n`);
  } catch {
    // stderr is closed: the main thread still lists the module
  }
  try {
    port?.postMessage(msg);
  } catch {
    // the main thread is gone or busy: nothing to tell
  }
}

function sourceText(source: string | ArrayBuffer | ArrayBufferView): string {
  if (typeof source === 'string') return source;
  if (source instanceof ArrayBuffer) return new TextDecoder().decode(source);
  return new TextDecoder().decode(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
}

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    if (broken(path)) throw injectedLoadFailure(path);
  }
  const result = await nextLoad(url, context);
  try {
    if (result.format !== 'module' || !url.startsWith('file:') || result.source === undefined || result.source === null) return result;
    if (!keep(fileURLToPath(url))) return result;
    const out = instrumentSource(sourceText(result.source), url);
    if (out.status === 'skipped') report({ type: 'skipped', url, reason: out.reason });
    return out.status === 'instrumented' ? { ...result, source: out.code } : result;
  } catch (e) {
    report({ type: 'skipped', url, reason: `instrumentation failed: ${e instanceof Error ? e.message : String(e)}` });
    return result;
  }
}

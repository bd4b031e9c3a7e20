/**
 * What runs inside the characterisation child process and the pinned node:test files: the canonical serialiser
 * of outcomes, the tagged-JSON codec of generated inputs, one call with its outcome, and how an outcome reads.
 *
 * The same functions serve the engine (in-process) and the child (as the text of `runtime.mjs`, written next
 * to the pinned tests): `runtimeModuleSource()` emits each function's own source, so every function here must
 * be self-contained — no imports, only the other functions of this list by name.
 */

/** What one call did. `value`, `error` and `mutated` are canonical texts (`canonical`). */
export type Outcome =
  | { kind: 'returned' | 'resolved'; value: string; mutated?: string }
  | { kind: 'threw' | 'rejected'; error: string; mutated?: string }
  | { kind: 'timeout'; ms: number }
  | { kind: 'crashed'; detail: string };

/** How the child reaches the function: a module binding (a top-level name or `default`), and a method of it. */
export interface CallableSpec {
  binding: string;
  method?: string;
  isStatic?: boolean;
}

/**
 * A stable text for any value: object keys sorted, Map and Set in insertion order, and the values JSON
 * cannot hold (undefined, NaN, ±Infinity, -0, bigint, Date, Map, Set, symbols, functions, class instances,
 * cycles) each with its own form. Two values print alike exactly when a program can barely tell them apart.
 */
export function canonical(value: unknown): string {
  const seen = new Map<object, string>();
  const LIMIT = 200_000;
  let size = 0;
  const keyText = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
  const go = (v: unknown, path: string): string => {
    if (size > LIMIT) return '…';
    let out: string;
    switch (typeof v) {
      case 'undefined':
        return 'undefined';
      case 'number':
        return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint':
        return `${String(v)}n`;
      case 'string':
        size += v.length;
        return JSON.stringify(v);
      case 'boolean':
        return String(v);
      case 'symbol':
        return v.toString();
      case 'function':
        return `[Function${v.name ? ` ${v.name}` : ''}]`;
    }
    if (v === null) return 'null';
    const o = v as object;
    const at = seen.get(o);
    if (at !== undefined) return `[Circular ${at}]`;
    seen.set(o, path);
    try {
      const read = (obj: object, k: string): unknown => {
        try {
          return (obj as Record<string, unknown>)[k];
        } catch (e) {
          return `[getter threw ${e instanceof Error ? e.name : typeof e}]`;
        }
      };
      if (o instanceof Date) out = `Date(${Number.isNaN(o.getTime()) ? 'Invalid' : o.toISOString()})`;
      else if (o instanceof RegExp) out = String(o);
      else if (o instanceof Error) {
        const keys = Object.keys(o).filter((k) => k !== 'stack' && k !== 'message').sort();
        out = `${o.name}(${JSON.stringify(o.message)})${keys.length > 0 ? ` {${keys.map((k) => `${keyText(k)}: ${go(read(o, k), `${path}.${k}`)}`).join(', ')}}` : ''}`;
      } else if (Array.isArray(o)) {
        const items: string[] = [];
        for (let i = 0; i < o.length; i++) items.push(i in o ? go(o[i], `${path}[${i}]`) : '<empty>');
        out = `[${items.join(', ')}]`;
      } else if (o instanceof Map) {
        const items: string[] = [];
        let i = 0;
        for (const [k, x] of o) {
          items.push(`${go(k, `${path}<key ${i}>`)} => ${go(x, `${path}<value ${i}>`)}`);
          i++;
        }
        out = `Map{${items.join(', ')}}`;
      } else if (o instanceof Set) {
        const items: string[] = [];
        let i = 0;
        for (const x of o) items.push(go(x, `${path}<${i++}>`));
        out = `Set{${items.join(', ')}}`;
      } else if (ArrayBuffer.isView(o)) {
        const name = o.constructor?.name ?? 'ArrayBufferView';
        out = o instanceof DataView ? `${name}(${o.byteLength})` : `${name}[${Array.from(o as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? `${x}n` : Object.is(x, -0) ? '-0' : String(x))).join(', ')}]`;
      } else if (o instanceof ArrayBuffer) out = `ArrayBuffer(${o.byteLength})`;
      else if (typeof (o as { then?: unknown }).then === 'function') out = '[Promise]';
      else {
        const proto = Object.getPrototypeOf(o) as { constructor?: { name?: string } } | null;
        const prefix = proto === null ? '[null prototype] ' : proto === Object.prototype ? '' : `${proto.constructor?.name || 'anonymous'} `;
        const keys = Object.keys(o).sort();
        out = `${prefix}{${keys.map((k) => `${keyText(k)}: ${go(read(o, k), `${path}.${k}`)}`).join(', ')}}`;
      }
    } finally {
      seen.delete(o);
    }
    size += out.length;
    return out;
  };
  return go(value, '$');
}

/**
 * A generated input as JSON: plain JSON where it can be, a `{"$": tag}` object for what JSON cannot hold
 * (undefined, NaN, ±Infinity, -0, bigint, Date, Map, Set) and `{"$": "object", "v": …}` for objects, so a
 * tag is never mistaken for data. `decodeValue` is its inverse.
 */
export function encodeValue(value: unknown): unknown {
  switch (typeof value) {
    case 'undefined':
      return { $: 'undefined' };
    case 'number':
      if (Number.isNaN(value)) return { $: 'NaN' };
      if (value === Infinity) return { $: 'Infinity' };
      if (value === -Infinity) return { $: '-Infinity' };
      if (Object.is(value, -0)) return { $: '-0' };
      return value;
    case 'bigint':
      return { $: 'bigint', v: String(value) };
    case 'string':
    case 'boolean':
      return value;
    case 'symbol':
    case 'function':
      throw new Error(`cannot encode a ${typeof value}`);
  }
  if (value === null) return null;
  if (value instanceof Date) return { $: 'Date', v: Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString() };
  if (Array.isArray(value)) return Array.from(value, (x) => encodeValue(x));
  if (value instanceof Map) return { $: 'Map', v: [...value].map(([k, x]) => [encodeValue(k), encodeValue(x)]) };
  if (value instanceof Set) return { $: 'Set', v: [...value].map((x) => encodeValue(x)) };
  const v: Record<string, unknown> = {};
  for (const k of Object.keys(value as object)) Object.defineProperty(v, k, { value: encodeValue((value as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
  return { $: 'object', v };
}

/** The inverse of `encodeValue`. */
export function decodeValue(json: unknown): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map((x) => decodeValue(x));
  const t = json as { $?: unknown; v?: unknown };
  switch (t.$) {
    case 'undefined':
      return undefined;
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
    case 'bigint':
      return BigInt(String(t.v));
    case 'Date':
      return new Date(t.v === 'Invalid' ? NaN : String(t.v));
    case 'Map':
      return new Map((t.v as unknown[][]).map(([k, x]) => [decodeValue(k), decodeValue(x)]));
    case 'Set':
      return new Set((t.v as unknown[]).map((x) => decodeValue(x)));
    case 'object': {
      const out: Record<string, unknown> = {};
      const src = t.v as Record<string, unknown>;
      for (const k of Object.keys(src)) Object.defineProperty(out, k, { value: decodeValue(src[k]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    default:
      throw new Error(`not an encoded value: ${JSON.stringify(json).slice(0, 80)}`);
  }
}

/** A thrown value as text: `RangeError: bad index` for errors, the canonical text for anything else thrown. */
export function errorText(e: unknown): string {
  if (e instanceof Error || (e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' && typeof (e as { name?: unknown }).name === 'string')) {
    const err = e as { name: string; message: string };
    return err.message === '' ? err.name : `${err.name}: ${err.message}`;
  }
  return canonical(e);
}

/** "returned 3" / "throws RangeError: …", in the past (`was`) or present (`now`) tense. */
export function describeOutcome(o: Outcome, tense: 'was' | 'now'): string {
  const cut = (s: string): string => (s.length > 120 ? `${s.slice(0, 117)}…` : s);
  const now = tense === 'now';
  let text: string;
  switch (o.kind) {
    case 'returned':
      text = `${now ? 'returns' : 'returned'} ${cut(o.value)}`;
      break;
    case 'resolved':
      text = `${now ? 'resolves' : 'resolved'} to ${cut(o.value)}`;
      break;
    case 'threw':
      text = `${now ? 'throws' : 'threw'} ${cut(o.error)}`;
      break;
    case 'rejected':
      text = `${now ? 'rejects' : 'rejected'} with ${cut(o.error)}`;
      break;
    case 'timeout':
      return `${now ? 'does' : 'did'} not settle in ${o.ms} ms`;
    case 'crashed':
      return `${now ? 'ends' : 'ended'} the process (${cut(o.detail)})`;
  }
  return o.mutated !== undefined ? `${text} and ${now ? 'leaves' : 'left'} its arguments as ${cut(o.mutated)}` : text;
}

/** `f(1, "a")` with each argument's canonical text (long ones cut). */
export function describeCall(name: string, args: readonly unknown[]): string {
  const parts = args.map((a) => {
    const s = canonical(a);
    return s.length > 60 ? `${s.slice(0, 57)}…` : s;
  });
  const all = `${name}(${parts.join(', ')})`;
  return all.length > 200 ? `${all.slice(0, 197)}…)` : all;
}

/**
 * Two outcomes are the same behaviour (timeouts compare by kind: the limit is the runner's, not the code's). With
 * `awaited`, a recorded return matches a promise resolved to the same value (and a throw, a rejection): the
 * function was made async on purpose (its work moved to a worker thread or off the request path).
 */
export function sameOutcome(a: Outcome, b: Outcome, awaited = false): boolean {
  const settled = (k: Outcome['kind']): Outcome['kind'] => (awaited && k === 'resolved' ? 'returned' : awaited && k === 'rejected' ? 'threw' : k);
  if (settled(a.kind) !== settled(b.kind)) return false;
  if (a.kind === 'timeout' || a.kind === 'crashed') return true;
  const x = a as { value?: string; error?: string; mutated?: string };
  const y = b as { value?: string; error?: string; mutated?: string };
  return x.value === y.value && x.error === y.error && x.mutated === y.mutated;
}

/** The function to call in a module namespace: its binding (exposed by the loader, else exported), or why not. */
export function resolveCallable(mod: Record<string, unknown>, spec: CallableSpec): { call(args: unknown[]): unknown } | { missing: string } {
  const dflt = mod.default as Record<string, unknown> | undefined;
  const bound = spec.binding === 'default' ? mod.default : (mod.__faultlineExposed ?? mod[spec.binding] ?? (dflt !== null && typeof dflt === 'object' || typeof dflt === 'function' ? (dflt as Record<string, unknown>)[spec.binding] : undefined));
  if (bound === undefined) return { missing: `${spec.binding} is neither exported nor reachable in the module (a CommonJS module exports only module.exports)` };
  if (spec.method === undefined) {
    if (typeof bound !== 'function') return { missing: `${spec.binding} is not a function` };
    return { call: (args) => (bound as (...a: unknown[]) => unknown)(...args) };
  }
  const method = spec.method;
  if (typeof bound !== 'function') return { missing: `${spec.binding} is not a class` };
  const Cls = bound as unknown as (new () => Record<string, unknown>) & Record<string, unknown>;
  if (spec.isStatic) {
    if (typeof Cls[method] !== 'function') return { missing: `${spec.binding}.${method} is not a static method` };
    return { call: (args) => (Cls[method] as (...a: unknown[]) => unknown).apply(Cls, args) };
  }
  if (typeof (Cls.prototype as Record<string, unknown> | undefined)?.[method] !== 'function') return { missing: `${spec.binding}.prototype.${method} is not a method` };
  return {
    call: (args) => {
      const self = new Cls();
      return (self[method] as (...a: unknown[]) => unknown).apply(self, args);
    },
  };
}

/**
 * One call: its return value, what it threw, or — for a thenable — what it settled to within `timeoutMs`
 * (else a timeout). The arguments are compared before and after: a change is part of the outcome.
 */
export async function callOnce(callable: { call(args: unknown[]): unknown }, args: unknown[], timeoutMs: number): Promise<Outcome> {
  const before = canonical(args);
  const withArgs = (o: Outcome): Outcome => {
    if (o.kind === 'timeout' || o.kind === 'crashed') return o;
    const after = canonical(args);
    return after === before ? o : { ...o, mutated: after };
  };
  let v: unknown;
  try {
    v = callable.call(args);
  } catch (e) {
    return withArgs({ kind: 'threw', error: errorText(e) });
  }
  if (v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function') {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settled = await Promise.race([
      Promise.resolve(v as PromiseLike<unknown>).then(
        (x): Outcome => ({ kind: 'resolved', value: canonical(x) }),
        (e): Outcome => ({ kind: 'rejected', error: errorText(e) }),
      ),
      new Promise<Outcome>((resolveTimeout) => {
        timer = setTimeout(() => resolveTimeout({ kind: 'timeout', ms: timeoutMs }), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return withArgs(settled);
  }
  return withArgs({ kind: 'returned', value: canonical(v) });
}

const RUNTIME_FUNCTIONS = [canonical, encodeValue, decodeValue, errorText, describeOutcome, describeCall, sameOutcome, resolveCallable, callOnce];

/**
 * The functions above as the text of an ES module (`runtime.mjs`), for the child process and the pinned test
 * files. `__name` is defined for transpilers that wrap functions to keep their names.
 */
export function runtimeModuleSource(): string {
  const body = RUNTIME_FUNCTIONS.map((f) => `export ${f.toString()}`).join('\n\n');
  return `// faultline characterisation runtime (generated; see src/refactor/characterise/runtime.ts)\n/* eslint-disable */\nconst __name = (f) => f;\n\n${body}\n`;
}

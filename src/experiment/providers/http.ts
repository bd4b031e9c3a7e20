/** Chaos Toolkit's `http` provider: one request to a loopback URL; output {status, headers, body}. */
import { assertLocalTarget } from '../../core/net.js';
import { ActivityFailed, isNum, isObj, type ProviderModule, type ProviderProblem } from './types.js';

/** host:port of a URL (default ports filled in), for assertLocalTarget. */
export function urlHostPort(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname}:${port}`;
}

/** Checks that `url` is an http(s) URL on this machine; returns a message, or undefined when it is fine. */
export function localUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return 'required: the URL to call';
  if (url.includes('${')) return undefined; // checked again after substitution, when the activity runs
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${url}": only http and https URLs are supported`;
  try {
    assertLocalTarget(urlHostPort(url), 'url');
  } catch (e) {
    return (e as Error).message.replace(/^url: /, '');
  }
  return undefined;
}

/** timeout in seconds, or [connect, read] seconds (the two are added: one deadline covers the request). */
export function timeoutMs(t: unknown): number | undefined {
  if (isNum(t)) return t * 1000;
  if (Array.isArray(t) && t.length === 2 && isNum(t[0]) && isNum(t[1])) return (t[0] + t[1]) * 1000;
  return undefined;
}

export const httpProvider: ProviderModule = {
  type: 'http',
  validate(p) {
    const out: ProviderProblem[] = [];
    const urlProblem = localUrlProblem(p.url);
    if (urlProblem) out.push({ path: ['url'], message: urlProblem });
    if (p.method !== undefined && (typeof p.method !== 'string' || !/^[A-Za-z]+$/.test(p.method))) out.push({ path: ['method'], message: 'expected an HTTP method such as GET or POST' });
    if (p.headers !== undefined && (!isObj(p.headers) || Object.values(p.headers).some((v) => typeof v !== 'string' && typeof v !== 'number'))) out.push({ path: ['headers'], message: 'expected a mapping of header name to string' });
    if (p.timeout !== undefined && (timeoutMs(p.timeout) === undefined || (timeoutMs(p.timeout) as number) <= 0)) out.push({ path: ['timeout'], message: 'expected seconds (e.g. 3) or [connect, read] seconds' });
    if (p.expected_status !== undefined && !(Number.isInteger(p.expected_status) && (p.expected_status as number) >= 100 && (p.expected_status as number) <= 599)) out.push({ path: ['expected_status'], message: 'expected an HTTP status code (100-599)' });
    return out;
  },
  async run(p, ctx) {
    const url = String(p.url);
    const problem = localUrlProblem(url);
    if (problem) throw new ActivityFailed(`url: ${problem}`);
    const method = String(p.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = Object.fromEntries(Object.entries(isObj(p.headers) ? p.headers : {}).map(([k, v]) => [k, String(v)]));
    let target = url;
    let body: string | undefined;
    if (p.arguments !== undefined && p.arguments !== null) {
      if (method === 'GET' || method === 'HEAD') {
        const u = new URL(url);
        for (const [k, v] of Object.entries(isObj(p.arguments) ? p.arguments : {})) u.searchParams.append(k, typeof v === 'string' ? v : JSON.stringify(v));
        target = u.toString();
      } else if (typeof p.arguments === 'string') {
        body = p.arguments;
      } else {
        body = JSON.stringify(p.arguments);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
    }
    const limit = timeoutMs(p.timeout);
    const signal = limit === undefined ? ctx.signal : AbortSignal.any([ctx.signal, AbortSignal.timeout(limit)]);
    let res: Response;
    try {
      res = await fetch(target, { method, headers, ...(body !== undefined ? { body } : {}), signal, redirect: 'manual' });
    } catch (e) {
      if (ctx.signal.aborted) throw new ActivityFailed(`${method} ${url}: stopped (the run was halted or interrupted)`);
      if ((e as Error).name === 'TimeoutError') throw new ActivityFailed(`${method} ${url}: no answer within ${(limit as number) / 1000} s (timeout)`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ActivityFailed(`${method} ${url}: failed to connect (${cause?.code ?? cause?.message ?? (e as Error).message})`, { cause: e });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new ActivityFailed(`${method} ${url}: the body could not be read (${(e as Error).message})`, { cause: e });
    }
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const out = { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: parsed };
    if (p.expected_status !== undefined && res.status !== p.expected_status) {
      throw new ActivityFailed(`${method} ${url}: answered ${res.status}, expected ${String(p.expected_status)}`);
    }
    return out;
  },
  describe: (p) => `${String(p.method ?? 'GET').toUpperCase()} ${String(p.url)}${p.expected_status !== undefined ? ` (expect ${String(p.expected_status)})` : ''}`,
  injects: () => false,
};

import { describe, expect, it } from 'vitest';
import { addRetry } from '../../../src/refactor/recipes/add-retry.js';
import { doRefuse, doTest } from './harness.js';

const R = addRetry;

const TS_HELPER = `// Inserted by faultline (add-retry): retries a failed idempotent call with exponential backoff and full jitter.
async function withRetry<T>(call: () => Promise<T>, opts: { retries: number; baseMs: number; maxMs: number }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await call();
      const r = result as { status?: unknown; statusCode?: unknown; body?: { cancel?: () => unknown; dump?: () => unknown } | null } | null;
      const status = typeof r?.status === 'number' ? r.status : r?.statusCode;
      if (attempt >= opts.retries || !(status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504)) return result;
      try {
        await (typeof r?.body?.dump === 'function' ? r.body.dump() : r?.body?.cancel?.());
      } catch {
        // the dropped body may already be closed; the retry goes on
      }
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      if (attempt >= opts.retries || name === 'AbortError' || name === 'TimeoutError') throw err;
    }
    const capMs = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
  }
}`;

const JS_HELPER = `// Inserted by faultline (add-retry): retries a failed idempotent call with exponential backoff and full jitter.
async function withRetry(call, opts) {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await call();
      const status = typeof result?.status === 'number' ? result.status : result?.statusCode;
      if (attempt >= opts.retries || !(status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504)) return result;
      try {
        await (typeof result?.body?.dump === 'function' ? result.body.dump() : result?.body?.cancel?.());
      } catch {
        // the dropped body may already be closed; the retry goes on
      }
    } catch (err) {
      if (attempt >= opts.retries || err?.name === 'AbortError' || err?.name === 'TimeoutError') throw err;
    }
    const capMs = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
  }
}`;

describe('add-retry', () => {
  it('wraps a GET fetch, keeping its per-attempt timeout (TypeScript, type-checks)', () => {
    doTest(
      R,
      `export async function price(id: string): Promise<number> {
  const res = await /*@*/fetch(\`http://pricing/\${id}\`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as number;
}
`,
      `${TS_HELPER}

export async function price(id: string): Promise<number> {
  const res = await withRetry(() => fetch(\`http://pricing/\${id}\`, { signal: AbortSignal.timeout(2000) }), { retries: 3, baseMs: 100, maxMs: 2000 });
  return (await res.json()) as number;
}
`,
      { typecheck: true },
    );
  });

  it('wraps axios.put and a PUT fetch with a JSON body, with the configured values', () => {
    const out = doTest(
      R,
      `import axios from 'axios';
export const up = (u, d) => /*@*/axios.put(u, d);
`,
      `import axios from 'axios';

${JS_HELPER}

export const up = (u, d) => withRetry(() => axios.put(u, d), { retries: 5, baseMs: 50, maxMs: 800 });
`,
      { path: 'a.mjs', options: { retries: 5, retryBaseMs: 50, retryMaxMs: 800 } },
    );
    doTest(
      R,
      out.replace('export const up', `export const put = (u, o) => /*@*/fetch(u, { method: 'PUT', body: JSON.stringify(o) });\nexport const up`),
      out.replace('export const up', `export const put = (u, o) => withRetry(() => fetch(u, { method: 'PUT', body: JSON.stringify(o) }), { retries: 3, baseMs: 100, maxMs: 2000 });\nexport const up`),
      { path: 'a.mjs' },
    );
  });

  it('the inserted helper, run: retries a 503 and a reset with backoff, gives up after `retries`, never retries an abort or a timeout', async () => {
    const out = doTest(R, `export const get = (u) => /*@*/fetch(u);\n`, `${JS_HELPER}\n\nexport const get = (u) => withRetry(() => fetch(u), { retries: 3, baseMs: 100, maxMs: 2000 });\n`, { path: 'a.mjs' });
    const withRetry = new Function(`${out.slice(0, out.indexOf('export const'))}; return withRetry;`)() as (call: () => Promise<unknown>, o: object) => Promise<unknown>;
    const opts = { retries: 3, baseMs: 1, maxMs: 2 };
    const failing = (errs: unknown[]): { calls: number; call: () => Promise<unknown> } => {
      const s = { calls: 0, call: async (): Promise<unknown> => {
        const e = errs[s.calls++];
        if (e instanceof Error) throw e;
        return e ?? { status: 200 };
      } };
      return s;
    };
    const named = (name: string): Error => Object.assign(new Error(name), { name });
    const flaky = failing([{ status: 503, body: { cancel: () => undefined } }, named('ECONNRESET')]);
    expect(await withRetry(flaky.call, opts)).toEqual({ status: 200 });
    expect(flaky.calls).toBe(3);
    const down = failing([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 }]);
    expect(await withRetry(down.call, opts)).toEqual({ status: 503 });
    expect(down.calls).toBe(4);
    for (const name of ['TimeoutError', 'AbortError']) {
      const slow = failing([named(name), { status: 200 }]);
      await expect(withRetry(slow.call, opts)).rejects.toThrow(name);
      expect(slow.calls).toBe(1);
    }
  });

  it('allows a POST that carries an Idempotency-Key', () => {
    doTest(
      R,
      `const res = await /*@*/fetch(u, { method: 'POST', headers: { 'Idempotency-Key': key }, body: JSON.stringify(o) });\n`,
      `${TS_HELPER}\n\nconst res = await withRetry(() => fetch(u, { method: 'POST', headers: { 'Idempotency-Key': key }, body: JSON.stringify(o) }), { retries: 3, baseMs: 100, maxMs: 2000 });\n`,
      { lineOnly: true },
    );
  });

  it('refuses non-idempotent, unknown, side-effecting and callback calls', () => {
    doRefuse(R, `await /*@*/fetch(u, { method: 'POST', body: 'x' });`, /POST, which is not idempotent/);
    doRefuse(R, `import axios from 'axios';\nawait /*@*/axios.post(u, d);`, /POST, which is not idempotent/);
    doRefuse(R, `await /*@*/fetch(u, { method: m });`, /not a literal/);
    doRefuse(R, `await /*@*/fetch(u, init);`, /built elsewhere/);
    doRefuse(R, `await /*@*/fetch(u, { method: 'PUT', body: stream });`, /one-shot stream/);
    doRefuse(R, `await /*@*/fetch(nextUrl());`, /side effects/);
    doRefuse(R, `import http from 'http';\n/*@*/http.get(u, (r) => r.resume());`, /callback API/);
    doRefuse(R, `await /*@*/fetch(u, { method: 'PATCH' });`, /PATCH/, { options: { retryMethods: ['GET'] } });
    doRefuse(R, `await /*@*/getPrice(u);`, /no outbound HTTP call/);
  });
});

import { describe, expect, it } from 'vitest';
import { addTimeout } from '../../../src/refactor/recipes/add-timeout.js';
import { doRefuse, doTest } from './harness.js';

const R = addTimeout;

describe('add-timeout: fetch', () => {
  it('adds an options object with an AbortSignal.timeout to a bare fetch', () => {
    doTest(
      R,
      `export async function price(id: string) {
  const res = await /*@*/fetch(\`http://pricing/\${id}\`);
  return res.json();
}
`,
      `export async function price(id: string) {
  const res = await fetch(\`http://pricing/\${id}\`, { signal: AbortSignal.timeout(5000) });
  return res.json();
}
`,
      { smell: 'no-timeout', typecheck: true },
    );
  });

  it('adds the signal to an inline options literal, on its own line when the literal spans lines, keeping a trailing comment', () => {
    doTest(
      R,
      `async function post(body) {
  return /*@*/fetch('http://orders/', {
    method: 'POST',
    body, // the order
  });
}
`,
      `async function post(body) {
  return fetch('http://orders/', {
    method: 'POST',
    body, // the order
    signal: AbortSignal.timeout(1500),
  });
}
`,
      { path: 'src/orders.js', smell: 'no-timeout', options: { timeoutMs: 1500 } },
    );
  });

  it('uses the line only (a failure point) and a single-line literal without trailing comma', () => {
    doTest(
      R,
      `const r = /*@*/fetch(url, { method: 'GET' }).then((x) => x.text());
`,
      `const r = fetch(url, { method: 'GET', signal: AbortSignal.timeout(5000) }).then((x) => x.text());
`,
      { path: 'a.js', lineOnly: true },
    );
  });

  it('spreads a const options object of the same file', () => {
    doTest(
      R,
      `const opts = { headers: { accept: 'application/json' } };
export const get = (u: string) => /*@*/fetch(u, opts);
`,
      `const opts = { headers: { accept: 'application/json' } };
export const get = (u: string) => fetch(u, { ...opts, signal: AbortSignal.timeout(5000) });
`,
      { smell: 'no-timeout', typecheck: true },
    );
  });

  it('handles undici fetch imported by name', () => {
    doTest(
      R,
      `import { fetch } from 'undici';
await /*@*/fetch('http://x/');
`,
      `import { fetch } from 'undici';
await fetch('http://x/', { signal: AbortSignal.timeout(5000) });
`,
      { path: 'a.mjs', smell: 'no-timeout' },
    );
  });

  it('refuses a fetch that already has a signal', () => {
    doRefuse(R, `await /*@*/fetch(u, { signal: ctl.signal });`, /already sets signal/);
  });

  it('refuses options it cannot see', () => {
    doRefuse(R, `export async function f(u: string, init: RequestInit) { return /*@*/fetch(u, init); }`, /built elsewhere/);
    doRefuse(R, `await /*@*/fetch(u, { ...base, method: 'PUT' });`, /spread/);
  });

  it('refuses a Request object, and a timeout undici would reach first', () => {
    doRefuse(R, `await /*@*/fetch(new Request(u));`, /Request object/);
    doRefuse(R, `await /*@*/fetch(u);`, /not extend undici's own 300 s/, { options: { timeoutMs: 300_000 } });
  });

  it('refuses a local function named fetch', () => {
    doRefuse(R, `function fetch(u) { return u; }\n/*@*/fetch('x');`, /not a call add-timeout knows|no outbound call/);
  });
});

describe('add-timeout: http, undici, axios, clients', () => {
  it('http.get(url, cb) gets an options argument with a signal', () => {
    doTest(
      R,
      `const http = require('http');
function ping(cb) {
  /*@*/http.get('http://127.0.0.1:8080/health', (res) => cb(res.statusCode));
}
`,
      `const http = require('http');
function ping(cb) {
  http.get('http://127.0.0.1:8080/health', { signal: AbortSignal.timeout(5000) }, (res) => cb(res.statusCode));
}
`,
      { path: 'ping.js', smell: 'no-timeout' },
    );
  });

  it('https.request(options, cb) gets the signal in its options', () => {
    doTest(
      R,
      `import https from 'node:https';
export function send(): void {
  const req = /*@*/https.request({ host: 'api', method: 'POST' }, () => undefined);
  req.end('x');
}
`,
      `import https from 'node:https';
export function send(): void {
  const req = https.request({ host: 'api', method: 'POST', signal: AbortSignal.timeout(5000) }, () => undefined);
  req.end('x');
}
`,
      { smell: 'no-timeout', typecheck: true },
    );
  });

  it('refuses an http request bounded later by req.setTimeout', () => {
    doRefuse(
      R,
      `import http from 'http';
const req = /*@*/http.request('http://x/', () => {});
req.setTimeout(1000, () => req.destroy());`,
      /bounded by req.setTimeout/,
    );
  });

  it('undici request gets headersTimeout and bodyTimeout', () => {
    doTest(
      R,
      `import { request } from 'undici';
const { body } = await /*@*/request('http://x/', { method: 'GET' });
`,
      `import { request } from 'undici';
const { body } = await request('http://x/', { method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 });
`,
      { path: 'a.mjs', smell: 'no-timeout' },
    );
  });

  it('new undici Pool gets both timeouts; Agent takes them first', () => {
    doTest(R, `import { Pool } from 'undici';\nexport const pool = /*@*/new Pool('http://db:80');\n`, `import { Pool } from 'undici';\nexport const pool = new Pool('http://db:80', { headersTimeout: 5000, bodyTimeout: 5000 });\n`, {
      path: 'a.mjs',
      smell: 'no-timeout',
    });
    doTest(R, `import { Agent } from 'undici';\nexport const a = /*@*/new Agent();\n`, `import { Agent } from 'undici';\nexport const a = new Agent({ headersTimeout: 5000, bodyTimeout: 5000 });\n`, { path: 'a.mjs', smell: 'no-timeout' });
  });

  it('axios: get gets a config, post without data gets undefined data, create gets timeout', () => {
    doTest(R, `import axios from 'axios';\nawait /*@*/axios.get('/u');\n`, `import axios from 'axios';\nawait axios.get('/u', { timeout: 5000 });\n`, { path: 'a.mjs', smell: 'no-timeout' });
    doTest(R, `const axios = require('axios');\n/*@*/axios.post('/u').catch(() => null);\n`, `const axios = require('axios');\naxios.post('/u', undefined, { timeout: 5000 }).catch(() => null);\n`, { path: 'a.js', smell: 'no-timeout' });
    doTest(R, `import axios from 'axios';\nexport const api = /*@*/axios.create({\n  baseURL: '/api',\n});\n`, `import axios from 'axios';\nexport const api = axios.create({\n  baseURL: '/api',\n  timeout: 5000,\n});\n`, {
      path: 'a.mjs',
      smell: 'no-timeout',
    });
  });

  it('refuses axios when the file sets defaults.timeout', () => {
    doRefuse(R, `import axios from 'axios';\naxios.defaults.timeout = 100;\nawait /*@*/axios.get('/u');`, /defaults.timeout/);
  });

  it('pg, ioredis, mongoose', () => {
    doTest(R, `const { Pool } = require('pg');\nconst pool = /*@*/new Pool({ max: 10 });\n`, `const { Pool } = require('pg');\nconst pool = new Pool({ max: 10, connectionTimeoutMillis: 5000, query_timeout: 5000 });\n`, { path: 'a.js', smell: 'no-timeout' });
    doTest(R, `import Redis from 'ioredis';\nconst r = /*@*/new Redis(6379, 'cache');\n`, `import Redis from 'ioredis';\nconst r = new Redis(6379, 'cache', { commandTimeout: 5000 });\n`, { path: 'a.mjs', smell: 'no-timeout' });
    doTest(R, `import mongoose from 'mongoose';\nawait /*@*/mongoose.connect(process.env.URI);\n`, `import mongoose from 'mongoose';\nawait mongoose.connect(process.env.URI, { serverSelectionTimeoutMS: 5000 });\n`, { path: 'a.mjs', smell: 'no-timeout' });
    doRefuse(R, `const { Pool } = require('pg');\nconst pool = /*@*/new Pool('postgres://x');`, /connection string/, { path: 'a.js' });
  });

  it('keeps CRLF line endings', () => {
    const out = doTest(R, `async function f() {\r\n  return /*@*/fetch(u, {\r\n    method: 'GET'\r\n  });\r\n}\r\n`, `async function f() {\r\n  return fetch(u, {\r\n    method: 'GET',\r\n    signal: AbortSignal.timeout(5000)\r\n  });\r\n}\r\n`, { path: 'a.js' });
    expect(out.split('\r\n').length).toBe(7);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('refuses a stale location and a file that does not parse; throws on a malformed one', () => {
    const file = { path: 'a.js', text: 'fetch(u);\n' };
    expect(R.applies(file, { path: 'a.js', line: 9 })).toEqual({ ok: false, reason: expect.stringMatching(/stale/) });
    expect(R.applies(file, { path: 'a.js', line: 1, col: 40 })).toEqual({ ok: false, reason: expect.stringMatching(/stale/) });
    expect(R.applies({ path: 'a.js', text: 'fetch(u, {;\n' }, { path: 'a.js', line: 1, col: 1 })).toEqual({ ok: false, reason: expect.stringMatching(/syntax error/) });
    expect(() => R.applies(file, { path: 'b.js', line: 1 })).toThrow(expect.objectContaining({ code: 'FL_ERR_RECIPE_LOCATION' }));
    expect(() => R.applies(file, { path: 'a.js', line: 0 })).toThrow(expect.objectContaining({ code: 'FL_ERR_RECIPE_LOCATION' }));
    expect(() => R.applies(file, { path: 'a.js', line: 1 }, { timeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'FL_ERR_RECIPE_OPTIONS' }));
  });
});

import { describe, it } from 'vitest';
import { moveOffRequestPath } from '../../../src/refactor/recipes/move-off-request-path.js';
import { doRefuse, doTest } from './harness.js';

const R = moveOffRequestPath;

describe('move-off-request-path', () => {
  it('awaits fs.promises through a namespace import, in an async handler (TypeScript)', () => {
    doTest(
      R,
      `import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
  const page = /*@*/fs.readFileSync(
    'index.html', // the template
    'utf8',
  );
  res.end(page);
});
`,
      `import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
  const page = await fs.promises.readFile(
    'index.html', // the template
    'utf8',
  );
  res.end(page);
});
`,
      { smell: 'sync-io-on-request-path', typecheck: true },
    );
  });

  it('parenthesises a call used as an object, and turns existsSync into access', () => {
    doTest(
      R,
      `const fs = require('fs');
app.get('/n', async (req, res) => {
  const n = /*@*/fs.readFileSync('count').toString().trim();
  res.send(n);
});
`,
      `const fs = require('fs');
app.get('/n', async (req, res) => {
  const n = (await fs.promises.readFile('count')).toString().trim();
  res.send(n);
});
`,
      { path: 'a.js', smell: 'sync-io-on-request-path' },
    );
    doTest(
      R,
      `import fs from 'fs';
app.get('/x', async (req, res) => {
  if (!/*@*/fs.existsSync(req.query.p)) return res.sendStatus(404);
});
`,
      `import fs from 'fs';
app.get('/x', async (req, res) => {
  if (!await fs.promises.access(req.query.p).then(() => true, () => false)) return res.sendStatus(404);
});
`,
      { path: 'a.mjs', smell: 'sync-io-on-request-path' },
    );
  });

  it('adds a sibling import for a named import (ESM and CommonJS), avoiding a taken name', () => {
    doTest(
      R,
      `import { readdirSync } from 'node:fs';
export async function list(dir: string): Promise<string[]> {
  return /*@*/readdirSync(dir);
}
`,
      `import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
export async function list(dir: string): Promise<string[]> {
  return await readdir(dir);
}
`,
      { typecheck: true },
    );
    doTest(
      R,
      `const { readFile, readFileSync } = require('fs');
app.get('/', async (req, res) => {
  res.end(/*@*/readFileSync('a'));
});
`,
      `const { readFile, readFileSync } = require('fs');
const { readFile: readFileAsync } = require('fs/promises');
app.get('/', async (req, res) => {
  res.end(await readFileAsync('a'));
});
`,
      { path: 'a.js', smell: 'sync-io-on-request-path' },
    );
  });

  it('refuses sync functions, fd calls, throwIfNoEntry, crypto and zlib', () => {
    doRefuse(R, `const fs = require('fs');\napp.get('/', (req, res) => res.send(/*@*/fs.readFileSync('a')));`, /not async/);
    doRefuse(R, `const fs = require('fs');\nasync function f() { const fd = /*@*/fs.openSync('a'); }`, /file descriptor/);
    doRefuse(R, `const fs = require('fs');\nasync function f() { return /*@*/fs.statSync('a', { throwIfNoEntry: false }); }`, /throwIfNoEntry/);
    doRefuse(R, `const crypto = require('crypto');\nasync function f(p) { return /*@*/crypto.pbkdf2Sync(p, 's', 1e5, 64, 'sha512'); }`, /util.promisify/);
    doRefuse(R, `async function f(p) { return /*@*/readFileSync(p); }`, /no \*Sync call/);
  });
});

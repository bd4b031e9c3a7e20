import { describe, expect, it } from 'vitest';
import { errorStatus as R } from '../../../src/refactor/recipes/error-status.js';
import { applyEdits } from '../../../src/refactor/edits.js';
import { doRefuse, doTest, locate } from './harness.js';

const TS_HELPER = `// Inserted by faultline (error-status): the status to answer an error with: its own 4xx (status/statusCode), else 500.
function errorStatus(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    for (const s of [(err as { status?: unknown }).status, (err as { statusCode?: unknown }).statusCode]) {
      if (typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 499) return s;
    }
  }
  return 500;
}`;

// the shop's handler (examples/shop/src/api.ts), reduced
const SHOP = (body: string): string => `import { createServer, type ServerResponse } from 'node:http';

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function placeOrder(raw: string): Promise<{ id: string }> {
  return JSON.parse(raw) as { id: string };
}

export const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST') return send(res, 201, await placeOrder(''));
    return send(res, 404, { error: 'not found' });
  } catch (err) {
${body}
  }
});
`;

describe('error-status', () => {
  it("answers the error's own 4xx in the shop's createServer catch-all, and no raw message for a 5xx (TypeScript, type-checks)", () => {
    const input = SHOP(`    // weakness: every failure becomes a 500 with the raw message
    return send(res, 500, { error: (err as Error).message });`).replace("    if (req.method === 'POST')", "    /*@*/if (req.method === 'POST')");
    const out = doTest(
      R,
      input,
      `import { createServer, type ServerResponse } from 'node:http';

${TS_HELPER}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function placeOrder(raw: string): Promise<{ id: string }> {
  return JSON.parse(raw) as { id: string };
}

export const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST') return send(res, 201, await placeOrder(''));
    return send(res, 404, { error: 'not found' });
  } catch (err) {
    const status = errorStatus(err);
    // weakness: every failure becomes a 500 with the raw message
    return send(res, status, { error: status < 500 ? (err as Error).message : 'internal error' });
  }
});
`,
      { typecheck: true, lineOnly: true },
    );
    expect(out).toContain('errorStatus(err)');
  });

  it('takes a location in the catch itself, and keeps the message in the log call (res.statusCode = 500)', () => {
    doTest(
      R,
      `import http from 'node:http';

export function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  try {
    res.end(String(JSON.parse('')));
  } catch (e) {
    console.error('failed:', (e as Error).message);
    /*@*/res.statusCode = 500;
    res.end('failed: ' + (e as Error).message);
  }
}
`,
      `import http from 'node:http';

${TS_HELPER}

export function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  try {
    res.end(String(JSON.parse('')));
  } catch (e) {
    const status = errorStatus(e);
    console.error('failed:', (e as Error).message);
    res.statusCode = status;
    res.end('failed: ' + (status < 500 ? (e as Error).message : 'internal error'));
  }
}
`,
      { typecheck: true },
    );
  });

  it('Express res.status(500).json(…) in JavaScript, file style kept (double quotes, no semicolons), catch without binding', () => {
    doTest(
      R,
      `const express = require("express")
const app = express()

app.post("/orders", (req, res) => {
  try {
    res.json(JSON.parse(req.body))
  } catch {
    /*@*/res.status(500).json({ error: "failed" })
  }
})
`,
      `const express = require("express")

// Inserted by faultline (error-status): the status to answer an error with: its own 4xx (status/statusCode), else 500.
function errorStatus(err) {
  if (typeof err === "object" && err !== null) {
    for (const s of [err.status, err.statusCode]) {
      if (typeof s === "number" && Number.isInteger(s) && s >= 400 && s <= 499) return s
    }
  }
  return 500
}

const app = express()

app.post("/orders", (req, res) => {
  try {
    res.json(JSON.parse(req.body))
  } catch (err) {
    const status = errorStatus(err)
    res.status(status).json({ error: "failed" })
  }
})
`,
      { path: 'src/app.js' },
    );
  });

  it('Fastify reply.code(500) with CRLF line endings and a comment kept; reuses the helper already in the file', () => {
    const helper = TS_HELPER.replace(/\n/g, '\r\n');
    const input = `${helper}\r\n\r\nexport async function route(request: unknown, reply: { code(n: number): { send(b: unknown): unknown } }): Promise<unknown> {\r\n  try {\r\n    /*@*/return JSON.parse(String(request));\r\n  } catch (error) {\r\n    // answer it\r\n    return reply.code(500).send({ message: (error as Error).message });\r\n  }\r\n}\r\n`;
    doTest(
      R,
      input,
      `${helper}\r\n\r\nexport async function route(request: unknown, reply: { code(n: number): { send(b: unknown): unknown } }): Promise<unknown> {\r\n  try {\r\n    return JSON.parse(String(request));\r\n  } catch (error) {\r\n    const status = errorStatus(error);\r\n    // answer it\r\n    return reply.code(status).send({ message: status < 500 ? (error as Error).message : 'internal error' });\r\n  }\r\n}\r\n`,
      { typecheck: true },
    );
  });

  it('the inserted helper answers 4xx statuses and 500 otherwise', () => {
    // run the JavaScript helper the recipe inserts
    const { text, location } = locate(`function h(req, res) {\n  try {\n    /*@*/work()\n  } catch (e) {\n    res.writeHead(500).end()\n  }\n}\n`, 'src/a.js');
    const out = applyEdits(text, R.transform({ path: 'src/a.js', text }, location));
    const fn = new Function(`${out.slice(out.indexOf('function errorStatus'), out.indexOf('function h'))}; return errorStatus;`)() as (e: unknown) => number;
    expect([fn({ status: 400 }), fn({ statusCode: 422 }), fn({ status: 503 }), fn({ status: '400' }), fn({ status: 404.5 }), fn(new SyntaxError('x')), fn(null), fn('boom')]).toEqual([400, 422, 500, 500, 500, 500, 500, 500]);
  });

  it('refuses: no try around the location, no literal 500, several 500s, status already from the error, not a handler, a destructured error', () => {
    doRefuse(R, `export function f(req: unknown, res: { end(): void }): void {\n  /*@*/res.end();\n}\n`, /not inside a try/);
    doRefuse(R, `export function f(req: unknown, res: { writeHead(n: number): void }): void {\n  try {\n    /*@*/g();\n  } catch (e) {\n    res.writeHead(503);\n  }\n}\nfunction g(): void {}\n`, /no literal 500/);
    doRefuse(R, `export function f(req: unknown, res: { writeHead(n: number): void }): void {\n  try {\n    /*@*/g();\n  } catch (e) {\n    if (e) res.writeHead(500);\n    else res.writeHead(500);\n  }\n}\nfunction g(): void {}\n`, /2 places/);
    doRefuse(R, `export function f(req: unknown, res: { writeHead(n: number): void }): void {\n  try {\n    /*@*/g();\n  } catch (e) {\n    res.writeHead((e as { status?: number }).status ?? 500);\n  }\n}\nfunction g(): void {}\n`, /already computes/);
    doRefuse(R, `export function load(path: string, out: { writeHead(n: number): void }): void {\n  try {\n    /*@*/g(path);\n  } catch (e) {\n    out.writeHead(500);\n  }\n}\nfunction g(p: string): void {}\n`, /not inside an HTTP request handler/);
    doRefuse(R, `export function f(req: unknown, res: { writeHead(n: number): void }): void {\n  try {\n    /*@*/g();\n  } catch ({ message }) {\n    res.writeHead(500);\n  }\n}\nfunction g(): void {}\n`, /destructuring/);
  });
});

import { describe, it } from 'vitest';
import { guardJsonParse } from '../../../src/refactor/recipes/guard-json-parse.js';
import { doRefuse, doTest } from './harness.js';

const R = guardJsonParse;

const TS_HELPER = `// Inserted by faultline (guard-json-parse): JSON.parse with a typed error for malformed input.
function parseJson(text: string, reviver?: (this: any, key: string, value: any) => any): any {
  try {
    return JSON.parse(text, reviver);
  } catch (cause) {
    if (cause instanceof SyntaxError) throw new JsonParseError(cause);
    throw cause;
  }
}

/** Malformed JSON from outside: answered 400 by Express, Fastify and Koa (status/statusCode), not 500. */
class JsonParseError extends Error {
  readonly code = 'ERR_INVALID_JSON';
  readonly status = 400;
  readonly statusCode = 400;
  readonly expose = true;
  constructor(cause: SyntaxError) {
    super(\`invalid JSON: \${cause.message}\`, { cause });
    this.name = 'JsonParseError';
  }
}`;

describe('guard-json-parse', () => {
  it('routes JSON.parse through the typed helper, inserted after the imports (TypeScript)', () => {
    doTest(
      R,
      `import type { IncomingMessage } from 'node:http';

export function order(req: IncomingMessage, raw: string): { id: string } {
  // the body was read by the caller
  const body = /*@*/JSON.parse(raw) as { id: string };
  return body;
}
`,
      `import type { IncomingMessage } from 'node:http';

${TS_HELPER}

export function order(req: IncomingMessage, raw: string): { id: string } {
  // the body was read by the caller
  const body = parseJson(raw) as { id: string };
  return body;
}
`,
      { smell: 'unguarded-json-parse', typecheck: true },
    );
  });

  it('writes the JavaScript helper in the file style (double quotes, no semicolons, 4 spaces) above the first statement', () => {
    doTest(
      R,
      `/* header */

module.exports = function read(s) {
    return /*@*/JSON.parse(s, (k, v) => v)
}
const x = "y"
`,
      `/* header */

// Inserted by faultline (guard-json-parse): JSON.parse with a typed error for malformed input.
function parseJson(text, reviver) {
    try {
        return JSON.parse(text, reviver)
    } catch (cause) {
        if (cause instanceof SyntaxError) throw new JsonParseError(cause)
        throw cause
    }
}

/** Malformed JSON from outside: answered 400 by Express, Fastify and Koa (status/statusCode), not 500. */
class JsonParseError extends Error {
    code = "ERR_INVALID_JSON"
    status = 400
    statusCode = 400
    expose = true
    constructor(cause) {
        super(\`invalid JSON: \${cause.message}\`, { cause })
        this.name = "JsonParseError"
    }
}

module.exports = function read(s) {
    return parseJson(s, (k, v) => v)
}
const x = "y"
`,
      { path: 'read.js', smell: 'unguarded-json-parse' },
    );
  });

  it('reuses the helper already in the file, and avoids names the file uses', () => {
    const once = doTest(R, `const a = /*@*/JSON.parse(x);\nconst b = JSON.parse(y);\n`, `${TS_HELPER}\n\nconst a = parseJson(x);\nconst b = JSON.parse(y);\n`);
    doTest(R, once.replace('const b = JSON', 'const b = /*@*/JSON'), `${TS_HELPER}\n\nconst a = parseJson(x);\nconst b = parseJson(y);\n`);
    doTest(
      R,
      `const parseJson = 1;\nexport const v = /*@*/JSON.parse('{' + parseJson);\n`,
      `${TS_HELPER.replace(/parseJson\(/g, 'parseJson2(')}\n\nconst parseJson = 1;\nexport const v = parseJson2('{' + parseJson);\n`,
      { typecheck: true },
    );
  });

  it('refuses a JSON.parse inside try, in an event listener or error-first callback, and a shadowed JSON', () => {
    doRefuse(R, `function f(s) {\n  try {\n    return /*@*/JSON.parse(s);\n  } catch {\n    return null;\n  }\n}`, /already inside a try/);
    doRefuse(R, `try {\n  items.map((s) => /*@*/JSON.parse(s));\n} catch (e) { throw e; }`, /already inside a try/);
    doRefuse(R, `socket.on('data', (chunk) => {\n  const m = /*@*/JSON.parse(chunk);\n});`, /event listener/);
    doRefuse(R, `fs.readFile(p, (err, data) => {\n  cfg = /*@*/JSON.parse(data);\n});`, /error-first callback/);
    doRefuse(R, `setTimeout(() => /*@*/JSON.parse(s), 10);`, /setTimeout callback/);
    doRefuse(R, `const JSON = { parse: (s) => s };\n/*@*/JSON.parse('x');`, /declares its own JSON/);
    doRefuse(R, `/*@*/JSONX.parse('x');`, /no JSON.parse/);
  });
});

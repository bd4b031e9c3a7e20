import { describe, expect, it } from 'vitest';
import { findRecipe, recipesForFailure } from '../../../src/refactor/recipes/index.js';
import { skipBadRecord } from '../../../src/refactor/recipes/skip-bad-record.js';
import { doRefuse, doTest } from './harness.js';

const R = skipBadRecord;

describe('skip-bad-record', () => {
  it('is registered for data-corruption and crash failures', () => {
    expect(findRecipe('skip-bad-record')).toBe(R);
    expect(recipesForFailure('data-corruption').map((r) => r.id)).toContain('skip-bad-record');
    expect(recipesForFailure('crash').map((r) => r.id)).toContain('skip-bad-record');
  });

  it('wraps the parse of one JSONL line in a for-of loop, counting records before any continue (TypeScript, type-checks)', () => {
    doTest(
      R,
      `import { readFileSync } from 'node:fs';

interface Order {
  id: string;
  totalCents: number;
}

export function load(file: string): Map<string, Order> {
  const orders = new Map<string, Order>();
  for (const line of readFileSync(file, 'utf8').split('\\n')) {
    if (line.trim() === '') continue;
    // one record per line
    const order = /*@*/JSON.parse(line) as Order; // trailing note
    orders.set(order.id, order);
  }
  return orders;
}
`,
      `import { readFileSync } from 'node:fs';

interface Order {
  id: string;
  totalCents: number;
}

export function load(file: string): Map<string, Order> {
  const orders = new Map<string, Order>();
  let record = 0;
  for (const line of readFileSync(file, 'utf8').split('\\n')) {
    record++;
    if (line.trim() === '') continue;
    // one record per line
    let order: Order;
    try {
      order = JSON.parse(line) as Order;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      console.warn(\`skipping record \${record}: it does not parse (\${err.message})\`);
      continue;
    } // trailing note
    orders.set(order.id, order);
  }
  return orders;
}
`,
      { typecheck: true },
    );
  });

  it('uses the annotation of the variable, and the line number alone (as a failure point gives it)', () => {
    doTest(
      R,
      `type Row = { id: number };
export function rows(lines: string[]): Row[] {
  const out: Row[] = [];
  for (const l of lines) {
    const row: Row = /*@*/JSON.parse(l);
    out.push(row);
  }
  return out;
}
`,
      `type Row = { id: number };
export function rows(lines: string[]): Row[] {
  const out: Row[] = [];
  let record = 0;
  for (const l of lines) {
    record++;
    let row: Row;
    try {
      row = JSON.parse(l);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      console.warn(\`skipping record \${record}: it does not parse (\${err.message})\`);
      continue;
    }
    out.push(row);
  }
  return out;
}
`,
      { typecheck: true, lineOnly: true },
    );
  });

  it('adds an index to a forEach callback, returns instead of continue, and uses the file\'s logger (JavaScript, its style)', () => {
    doTest(
      R,
      `const logger = require("./logger")

module.exports = function load(text, into) {
    text.split("\\n").forEach(line => {
        if (!line) return
        into.push(/*@*/JSON.parse(line))
        logger.debug("loaded")
    })
}
logger.warn("ready")
`,
      `const logger = require("./logger")

module.exports = function load(text, into) {
    text.split("\\n").forEach((line, index) => {
        if (!line) return
        try {
            into.push(JSON.parse(line))
        } catch (err) {
            if (!(err instanceof SyntaxError)) throw err
            logger.warn(\`skipping record \${index + 1}: it does not parse (\${err.message})\`)
            return
        }
        logger.debug("loaded")
    })
}
logger.warn("ready")
`,
      { path: 'src/load.js' },
    );
  });

  it('numbers records by the for index, keeps CRLF, and catches any error of another parse call', () => {
    const input = [
      'export function load(rows: string[], parseRow: (s: string) => { id: string }): string[] {',
      '  const ids: string[] = [];',
      '  for (let i = 0; i < rows.length; i++) {',
      '    const row = /*@*/parseRow(rows[i] as string) as { id: string };',
      '    ids.push(row.id);',
      '  }',
      '  return ids;',
      '}',
      '',
    ].join('\r\n');
    const expected = [
      'export function load(rows: string[], parseRow: (s: string) => { id: string }): string[] {',
      '  const ids: string[] = [];',
      '  for (let i = 0; i < rows.length; i++) {',
      '    let row: { id: string };',
      '    try {',
      '      row = parseRow(rows[i] as string) as { id: string };',
      '    } catch (err) {',
      '      console.warn(`skipping record ${i + 1}: it does not parse (${err instanceof Error ? err.message : String(err)})`);',
      '      continue;',
      '    }',
      '    ids.push(row.id);',
      '  }',
      '  return ids;',
      '}',
      '',
    ].join('\r\n');
    doTest(R, input, expected, { typecheck: true });
  });

  it('uses the index parameter a forEach callback already has', () => {
    doTest(
      R,
      `export function load(lines: string[], seen: Set<string>): void {
  lines.forEach((line, n) => {
    const rec: { id: string } = /*@*/JSON.parse(line);
    seen.add(rec.id);
  });
}
`,
      `export function load(lines: string[], seen: Set<string>): void {
  lines.forEach((line, n) => {
    let rec: { id: string };
    try {
      rec = JSON.parse(line);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      console.warn(\`skipping record \${n + 1}: it does not parse (\${err.message})\`);
      return;
    }
    seen.add(rec.id);
  });
}
`,
      { typecheck: true },
    );
  });

  describe('refuses', () => {
    it('a parse outside a loop', () => {
      doRefuse(R, `export const cfg = /*@*/JSON.parse(process.env.CFG ?? '{}');\n`, /not inside a loop over records/);
    });
    it('a while loop (continue could skip what advances it)', () => {
      doRefuse(R, `export function f(lines: string[]): unknown[] {\n  const out: unknown[] = [];\n  let i = 0;\n  while (i < lines.length) {\n    const x: unknown = /*@*/JSON.parse(lines[i] as string);\n    out.push(x);\n    i++;\n  }\n  return out;\n}\n`, /while loop/);
    });
    it('a map callback (a skipped record would leave a hole)', () => {
      doRefuse(R, `export const f = (lines: string[]): unknown[] => lines.map((l) => {\n  const x: unknown = /*@*/JSON.parse(l);\n  return x;\n});\n`, /\.map\(…\) would leave a hole/);
    });
    it('a parse already inside a try in the loop', () => {
      doRefuse(R, `export function f(lines: string[]): void {\n  for (const l of lines) {\n    try {\n      console.log(/*@*/JSON.parse(l));\n    } catch {\n      // ignore\n    }\n  }\n}\n`, /already inside a try/);
    });
    it('an await in the statement', () => {
      doRefuse(R, `export async function f(ids: string[], get: (id: string) => Promise<string>): Promise<void> {\n  for (const id of ids) {\n    console.log(/*@*/JSON.parse(await get(id)));\n  }\n}\n`, /awaits/);
    });
    it('a parse that does not read the record', () => {
      doRefuse(R, `export function f(lines: string[], cfg: string): void {\n  for (const l of lines) {\n    const c: unknown = /*@*/JSON.parse(cfg);\n    console.log(l, c);\n  }\n}\n`, /does not read the loop's record/);
    });
    it('a TypeScript variable whose type cannot be named', () => {
      doRefuse(R, `declare function norm(x: unknown): { id: string };\nexport function f(lines: string[]): void {\n  for (const l of lines) {\n    const c = norm(/*@*/JSON.parse(l));\n    console.log(c.id);\n  }\n}\n`, /cannot be named/);
    });
    it('a destructuring declaration', () => {
      doRefuse(R, `export function f(lines: string[]): void {\n  for (const l of lines) {\n    const { id } = /*@*/JSON.parse(l) as { id: string };\n    console.log(id);\n  }\n}\n`, /destructuring/);
    });
    it('a for loop whose body changes its index', () => {
      doRefuse(R, `export function f(lines: string[]): void {\n  for (let i = 0; i < lines.length; i++) {\n    const x: unknown = /*@*/JSON.parse(lines[i] as string);\n    if (x === null) i++;\n  }\n}\n`, /changes its index/);
    });
  });
});

import { describe, it } from 'vitest';
import { extractFunction } from '../../../src/refactor/recipes/extract-function.js';
import { doRefuse, doTest } from './harness.js';

const R = extractFunction;

describe('extract-function', () => {
  it('extracts a range of statements into a typed module-level function', () => {
    doTest(
      R,
      `export function total(items: { price: number; qty: number }[], vatRate: number): number {
  /*@*/let sum = 0;
  for (const it of items) sum += it.price * it.qty;
  const vat = sum * vatRate;/*@end*/
  return sum + vat;
}
`,
      `export function total(items: { price: number; qty: number }[], vatRate: number): number {
  let { sum, vat } = subtotal(items, vatRate);
  return sum + vat;
}

function subtotal(items: { price: number; qty: number; }[], vatRate: number) {
  let sum = 0;
  for (const it of items) sum += it.price * it.qty;
  const vat = sum * vatRate;
  return { sum, vat };
}
`,
      { options: { extractName: 'subtotal' }, typecheck: true },
    );
  });

  it('extracts the statement at the location in the file layout (4 spaces, no semicolons, JavaScript)', () => {
    doTest(
      R,
      `function report(rows) {
    const out = []
    /*@*/for (const r of rows) {
        if (r.ok) out.push(r.name)
    }
    return out
}
`,
      `function report(rows) {
    const out = []
    extracted(rows, out)
    return out
}

function extracted(rows, out) {
    for (const r of rows) {
        if (r.ok) out.push(r.name)
    }
}
`,
      { path: 'report.js' },
    );
  });

  it('refuses what TypeScript refuses, and a range that is already one call', () => {
    doRefuse(R, `function f(xs: number[]) {\n  for (const x of xs) {\n    /*@*/if (x > 1) break;/*@end*/\n  }\n}\n`, /TypeScript will not extract/);
    doRefuse(R, `function g(a: number) { return a; }\nfunction f(a: number) {\n  /*@*/g(a);\n}\n`, /already a single call/);
  });
});

describe('extract-function in a class method', () => {
  it('names a method TypeScript extracts into the class (a range that uses `this`) extractName, not newMethod', () => {
    doTest(
      R,
      `class Client {
  constructor() {
    this.hooks = [];
  }

  request(config) {
    const chain = [];
    /*@*/this.hooks.forEach((h) => {
      if (h.when(config)) chain.push(h);
    });
    return chain;
  }
}
`,
      `class Client {
  constructor() {
    this.hooks = [];
  }

  request(config) {
    const chain = [];
    this.extracted(config, chain);
    return chain;
  }

  extracted(config, chain) {
    this.hooks.forEach((h) => {
      if (h.when(config)) chain.push(h);
    });
  }
}
`,
      { path: 'client.js' },
    );
  });
});

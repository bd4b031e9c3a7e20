import { describe, expect, it } from 'vitest';
import { routeToFallback } from '../../../src/refactor/recipes/route-to-fallback.js';
import { doRefuse, doTest } from './harness.js';

const R = routeToFallback;

const SHOP_BEFORE = `export interface Price {
  sku: string;
  cents: number;
}

const cache = new Map<string, Price>();

export async function fetchPrice(url: string, sku: string): Promise<Price> {
  const hit = cache.get(sku);
  let res: Response;
  let text: string;
  // the call and its body
  try {
    res = await /*@*/fetch(\`\${url}/price/\${sku}\`); // no timeout yet
    text = await res.text();
  } catch (err) {
    // the call failed: serve the last known price
    if (hit) return hit;
    throw err;
  }
  // an error answer fails the request
  if (!res.ok) throw new Error(\`pricing answered \${res.status}\`);
  const price = JSON.parse(text) as Price; // a body that is not JSON throws too
  cache.set(sku, price);
  return price;
}
`;

const SHOP_AFTER = `export interface Price {
  sku: string;
  cents: number;
}

const cache = new Map<string, Price>();

export async function fetchPrice(url: string, sku: string): Promise<Price> {
  const hit = cache.get(sku);
  let res: Response;
  let text: string;
  let price: Price;
  // the call and its body
  try {
    res = await fetch(\`\${url}/price/\${sku}\`); // no timeout yet
    text = await res.text();
    // an error answer fails the request
    if (!res.ok) throw new Error(\`pricing answered \${res.status}\`);
    price = JSON.parse(text) as Price; // a body that is not JSON throws too
  } catch (err) {
    // the call failed: serve the last known price
    if (hit) return hit;
    throw err;
  }
  cache.set(sku, price);
  return price;
}
`;

describe('route-to-fallback', () => {
  it('moves the status check and the parse after a try with a fallback into it, declaring the parsed value before the try (TypeScript, type-checks)', () => {
    doTest(R, SHOP_BEFORE, SHOP_AFTER, { typecheck: true });
  });

  it('takes the location of a check after the try as well, and a line without a column (a failure point)', () => {
    const input = SHOP_BEFORE.replace('/*@*/fetch', 'fetch').replace('  if (!res.ok)', '  /*@*/if (!res.ok)');
    const out = doTest(R, input, SHOP_AFTER.replace('/*@*/', ''), { lineOnly: true });
    expect(out).toContain('    if (!res.ok) throw');
  });

  it('moves a parse whose value is not used later as a declaration, in JavaScript without semicolons and with 4-space indentation', () => {
    doTest(
      R,
      `async function ping(client) {
    let res
    try {
        res = await /*@*/client.get("/ping")
    } catch (e) {
        return { ok: false }
    }
    if (res.status >= 500) {
        throw new Error("down")
    }
    const body = await res.json()
    log(body)
}
`,
      `async function ping(client) {
    let res
    let body
    try {
        res = await client.get("/ping")
        if (res.status >= 500) {
            throw new Error("down")
        }
        body = await res.json()
    } catch (e) {
        return { ok: false }
    }
    log(body)
}
`,
      { path: 'src/ping.js' },
    );
  });

  it('keeps a declaration nobody reads later as a declaration inside the try', () => {
    doTest(
      R,
      `async function warm(url: string): Promise<void> {
  let res: Response;
  try {
    res = await /*@*/fetch(url);
  } catch {
    return;
  }
  const checked = assertShape(await res.json());
}
declare function assertShape(x: unknown): void;
`,
      `async function warm(url: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url);
    const checked = assertShape(await res.json());
  } catch {
    return;
  }
}
declare function assertShape(x: unknown): void;
`,
    );
  });

  it('keeps CRLF line endings', () => {
    const crlf = (s: string): string => s.replace(/\n/g, '\r\n');
    doTest(R, crlf(SHOP_BEFORE), crlf(SHOP_AFTER));
  });

  it('refuses a catch without a fallback (it only rethrows or logs)', () => {
    doRefuse(
      R,
      `async function f(url: string) {
  let res: Response;
  try {
    res = await /*@*/fetch(url);
  } catch (err) {
    console.error(err);
    throw err;
  }
  if (!res.ok) throw new Error('bad');
  return res;
}
`,
      /no fallback/,
    );
  });

  it('refuses a catch that can fall through to the code after the try', () => {
    doRefuse(
      R,
      `async function f(url: string, cached?: string) {
  let res: Response | undefined;
  try {
    res = await /*@*/fetch(url);
  } catch (err) {
    if (cached) return cached;
  }
  if (!res?.ok) throw new Error('bad');
  return res.text();
}
`,
      /fall through/,
    );
  });

  it('refuses a try with a finally block, a location outside any try, and a used parse without a written type (TypeScript)', () => {
    doRefuse(
      R,
      `async function f(url: string) {
  let res: Response;
  try {
    res = await /*@*/fetch(url);
  } catch {
    return null;
  } finally {
    done();
  }
  if (!res.ok) throw new Error('bad');
  return res;
}
declare function done(): void;
`,
      /finally/,
    );
    doRefuse(R, `async function f(url: string) {\n  const res = await /*@*/fetch(url);\n  if (!res.ok) throw new Error('bad');\n  return res;\n}\n`, /not in a try block/);
    doRefuse(
      R,
      `async function f(url: string) {
  let res: Response;
  try {
    res = await /*@*/fetch(url);
  } catch {
    return null;
  }
  const data = await res.json();
  return data.value;
}
`,
      /type is not written/,
    );
  });

  it('refuses when nothing after the try reads its result (the answer already reaches the fallback)', () => {
    doRefuse(
      R,
      `async function f(url: string) {
  let res: Response;
  try {
    res = await /*@*/fetch(url);
    if (!res.ok) throw new Error('bad');
  } catch {
    return null;
  }
  console.log('done');
  return res;
}
`,
      /nothing right after the try/,
    );
  });
});

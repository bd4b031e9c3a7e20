import { describe, it } from 'vitest';
import { addCircuitBreaker } from '../../../src/refactor/recipes/add-circuit-breaker.js';
import { doRefuse, doTest } from './harness.js';

const R = addCircuitBreaker;

const TS_CLASS = `// Inserted by faultline (add-circuit-breaker): fails fast while a dependency keeps failing, then lets one trial call through.
class CircuitBreaker {
  readonly failureThreshold: number;
  readonly resetMs: number;
  private failures = 0;
  private openedAt = -1;
  private trialRunning = false;
  constructor(failureThreshold: number, resetMs: number) {
    this.failureThreshold = failureThreshold;
    this.resetMs = resetMs;
  }
  async run<T>(call: () => Promise<T>): Promise<T> {
    let trial = false;
    if (this.openedAt >= 0) {
      if (this.trialRunning || Date.now() - this.openedAt < this.resetMs) {
        throw Object.assign(new Error('circuit open: the dependency failed repeatedly; failing fast'), { code: 'EOPENCIRCUIT' });
      }
      trial = this.trialRunning = true;
    }
    try {
      const result = await call();
      const r = result as { status?: unknown; statusCode?: unknown } | null;
      const status = typeof r?.status === 'number' ? r.status : r?.statusCode;
      if (typeof status === 'number' && status >= 500) this.failed(trial);
      else {
        this.failures = 0;
        this.openedAt = -1;
      }
      return result;
    } catch (err) {
      this.failed(trial);
      throw err;
    } finally {
      if (trial) this.trialRunning = false;
    }
  }
  private failed(trial: boolean): void {
    this.failures++;
    if (trial || this.failures >= this.failureThreshold) this.openedAt = Date.now();
  }
}`;

describe('add-circuit-breaker', () => {
  it('puts an awaited client call behind a new breaker (TypeScript, type-checks)', () => {
    doTest(
      R,
      `import { Client } from './client.js';
const client = new Client();

export async function quote(id: string): Promise<unknown> {
  return await /*@*/client.getQuote(id);
}
`,
      `import { Client } from './client.js';

${TS_CLASS}

const clientGetQuoteBreaker = new CircuitBreaker(5, 30000);

const client = new Client();

export async function quote(id: string): Promise<unknown> {
  return await clientGetQuoteBreaker.run(() => client.getQuote(id));
}
`,
      { typecheck: true },
    );
  });

  it('adds a second breaker after the existing class, with the configured thresholds', () => {
    const once = doTest(
      R,
      `export async function a(u: string) {\n  return (await /*@*/fetch(u)).status;\n}\nexport async function b(u: string) {\n  return (await fetch(u)).status;\n}\n`,
      `${TS_CLASS}\n\nconst fetchBreaker = new CircuitBreaker(5, 30000);\n\nexport async function a(u: string) {\n  return (await fetchBreaker.run(() => fetch(u))).status;\n}\nexport async function b(u: string) {\n  return (await fetch(u)).status;\n}\n`,
      { typecheck: true },
    );
    doTest(
      R,
      once.replace('(await fetch(u))', '(await /*@*/fetch(u))'),
      `${TS_CLASS}\nconst fetchBreaker2 = new CircuitBreaker(3, 1000);\n\nconst fetchBreaker = new CircuitBreaker(5, 30000);\n\nexport async function a(u: string) {\n  return (await fetchBreaker.run(() => fetch(u))).status;\n}\nexport async function b(u: string) {\n  return (await fetchBreaker2.run(() => fetch(u))).status;\n}\n`,
      { options: { breakerFailureThreshold: 3, breakerResetMs: 1000 }, typecheck: true },
    );
  });

  it('refuses calls it cannot see return a promise, side-effecting arguments, and breakers twice', () => {
    doRefuse(R, `function f() { return /*@*/compute(1); }`, /cannot tell that the call returns a promise/);
    doRefuse(R, `async function f() { return await /*@*/db.query(nextSql()); }`, /side effects/);
  });
});

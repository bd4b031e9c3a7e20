import { describe, it } from 'vitest';
import { handleError } from '../../../src/refactor/recipes/handle-error.js';
import { doRefuse, doTest } from './harness.js';

const R = handleError;

describe('handle-error', () => {
  it('rethrows after logging, on its own line', () => {
    doTest(
      R,
      `export function load(read: () => string): string {
  let v = '';
  try {
    v = read();
  } /*@*/catch (e) {
    console.error('load failed', e); // keep the log
  }
  return v;
}
`,
      `export function load(read: () => string): string {
  let v = '';
  try {
    v = read();
  } catch (e) {
    console.error('load failed', e); // keep the log
    throw e;
  }
  return v;
}
`,
      { smell: 'swallowed-error', typecheck: true },
    );
  });

  it('adds a binding to a log-only catch {} that does not capture a name the block uses, and rethrows an unused binding', () => {
    doTest(
      R,
      `function save(db, e) {
  try {
    db.write();
  } /*@*/catch {
    console.warn('write failed', e);
  }
}
`,
      `function save(db, e) {
  try {
    db.write();
  } catch (err) {
    console.warn('write failed', e);
    throw err;
  }
}
`,
      { path: 'a.js', smell: 'swallowed-error' },
    );
    doTest(R, `function f() { try { g(); } /*@*/catch (e) { log.warn(e) } }\n`, `function f() { try { g(); } catch (e) { log.warn(e); throw e; } }\n`, { path: 'b.js', smell: 'swallowed-error' });

  });

  it('rethrows from a .catch callback of a returned or awaited chain', () => {
    doTest(
      R,
      `async function f(p) {
  await p.catch(/*@*/(e) => console.warn(e));
}
`,
      `async function f(p) {
  await p.catch((e) => { console.warn(e); throw e; });
}
`,
      { path: 'a.js', smell: 'swallowed-error' },
    );
    doTest(R, `function f(p) {\n  return p.catch(/*@*/() => {\n    logger.error('lost');\n  });\n}\n`, `function f(p) {\n  return p.catch((err) => {\n    logger.error('lost');\n    throw err;\n  });\n}\n`, { path: 'a.js', smell: 'swallowed-error' });
  });

  it('refuses a documented ignore, a fallback, a listener, a floating chain and real handling', () => {
    doRefuse(R, `try { g(); } /*@*/catch { /* optional file */ }`, /documented decision/);
    doRefuse(R, `try { fs.unlinkSync(p); } /*@*/catch {}`, /ignores the error on purpose/);
    // a rethrow alone would be a catch that does nothing (eslint no-useless-catch), as axios's lint said
    doRefuse(R, `function f() {\n  try {\n    g();\n  } /*@*/catch (e) {}\n}\n`, /no-useless-catch/);
    doRefuse(R, `async function f(c) { await c.drop().catch(/*@*/() => {}); }`, /ignores the rejection on purpose/);
    doRefuse(R, `function f() {\n  try { return g(); } /*@*/catch (e) { console.log(e); }\n  return null;\n}`, /fallback/);
    doRefuse(R, `em.on('x', () => { try { g(); } /*@*/catch (e) { console.log(e); } });`, /end the process.*event listener/);
    doRefuse(R, `function f(p) { p.catch(/*@*/(e) => console.log(e)); }`, /neither awaited nor returned/);
    doRefuse(R, `try { g(); } /*@*/catch (e) { retry(); }`, /does more than log/);
    doRefuse(R, `try { g(); } /*@*/catch ({ message }) { console.log(message); }`, /destructuring/);
  });
});

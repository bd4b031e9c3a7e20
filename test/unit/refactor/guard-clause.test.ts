import { describe, it } from 'vitest';
import { guardClause } from '../../../src/refactor/recipes/guard-clause.js';
import { doRefuse, doTest } from './harness.js';

const R = guardClause;

describe('guard-clause', () => {
  it('turns a trailing if into an early return and un-nests the body (keeping a multi-line template as is)', () => {
    doTest(
      R,
      `export function greet(user: { name?: string } | undefined): string | undefined {
  /*@*/if (user !== undefined) {
    // a comment inside stays
    const name = user.name ?? 'you';
    return \`hello
  \${name}\`;
  }
}
`,
      `export function greet(user: { name?: string } | undefined): string | undefined {
  if (user === undefined) return;
  // a comment inside stays
  const name = user.name ?? 'you';
  return \`hello
  \${name}\`;
}
`,
      { typecheck: true },
    );
  });

  it('uses continue in a loop body and negates with !( … ) where flipping is not exact', () => {
    doTest(
      R,
      `for (const x of xs) {
    /*@*/if (x.size > 10) {
        big.push(x)
        total += x.size
    }
}
`,
      `for (const x of xs) {
    if (!(x.size > 10)) continue
    big.push(x)
    total += x.size
}
`,
      { path: 'a.js' },
    );
  });

  it('drops an else after a return, and an else-if becomes an if', () => {
    doTest(
      R,
      `function f(a) {
  /*@*/if (!a) {
    return 0;
  } else {
    const b = a * 2;
    return b;
  }
}
`,
      `function f(a) {
  if (!a) {
    return 0;
  }
  const b = a * 2;
  return b;
}
`,
      { path: 'a.js' },
    );
    doTest(R, `function f(a) {\n  /*@*/if (a > 1) {\n    throw new Error('big');\n  } else if (a < 0) {\n    return -1;\n  }\n  return a;\n}\n`, `function f(a) {\n  if (a > 1) {\n    throw new Error('big');\n  }\n  if (a < 0) {\n    return -1;\n  }\n  return a;\n}\n`, {
      path: 'a.js',
    });
  });

  it('puts the exiting else branch first', () => {
    doTest(
      R,
      `function handle(req, res) {
  /*@*/if (req.user) {
    res.send(req.user.name);
    log(req);
  } else {
    return res.status(401).end();
  }
  done();
}
`,
      `function handle(req, res) {
  if (!req.user) {
    return res.status(401).end();
  }
  res.send(req.user.name);
  log(req);
  done();
}
`,
      { path: 'a.js' },
    );
  });

  it('refuses when un-nesting could change meaning or lose text', () => {
    doRefuse(R, `function f(a) {\n  /*@*/if (a) {\n    g();\n  }\n  h();\n}`, /not the last statement/);
    doRefuse(R, `function f(a) {\n  const x = 1;\n  /*@*/if (a) {\n    const x = 2;\n    g(x);\n  }\n}`, /declares x/);
    doRefuse(R, `function f(a) {\n  /*@*/if (a) { g(); h(); }\n}`, /not laid out/);
    doRefuse(R, `function f(a) {\n  /*@*/if (a) {\n    g();\n  }\n}`, /single simple statement/);
    doRefuse(R, `function f(a) {\n  /*@*/if (a) return;\n  g();\n}`, /single statement/);
    doRefuse(R, `function f(a) {\n  /*@*/if (a) {\n    g();\n  } else {\n    h();\n  }\n}`, /neither branch/);
    doRefuse(R, `/*@*/const a = 1;`, /no if statement/);
  });
});

import { describe, it } from 'vitest';
import { awaitOrCatch } from '../../../src/refactor/recipes/await-or-catch.js';
import { doRefuse, doTest } from './harness.js';

const R = awaitOrCatch;

describe('await-or-catch', () => {
  it('awaits a floating call inside an async function', () => {
    doTest(
      R,
      `async function save(o: { id: string }): Promise<void> {}
export async function handle(o: { id: string }): Promise<string> {
  /*@*/save(o); // fire and forget?
  return o.id;
}
`,
      `async function save(o: { id: string }): Promise<void> {}
export async function handle(o: { id: string }): Promise<string> {
  await save(o); // fire and forget?
  return o.id;
}
`,
      { smell: 'floating-promise', typecheck: true },
    );
  });

  it('awaits a .then chain at the top level of an ES module', () => {
    doTest(R, `import { readFile } from 'node:fs/promises';\n/*@*/readFile('x').then((b) => console.log(b.length));\n`, `import { readFile } from 'node:fs/promises';\nawait readFile('x').then((b) => console.log(b.length));\n`, {
      path: 'main.mjs',
      smell: 'floating-promise',
    });
  });

  it('catches with a local reporting helper in a synchronous function (TypeScript)', () => {
    doTest(
      R,
      `import { EventEmitter } from 'node:events';

async function flush(): Promise<void> {}

export class Queue extends EventEmitter {
  push(): void {
    /*@*/flush();
  }
}
`,
      `import { EventEmitter } from 'node:events';

// Inserted by faultline (await-or-catch): reports the failure of a promise nobody awaits instead of letting it end the process.
function reportRejection(err: unknown): void {
  console.error('a background task failed:', err);
}

async function flush(): Promise<void> {}

export class Queue extends EventEmitter {
  push(): void {
    flush().catch(reportRejection);
  }
}
`,
      { smell: 'floating-promise', typecheck: true },
    );
  });

  it('catches a global fetch in a CommonJS callback', () => {
    doTest(
      R,
      `'use strict';
const express = require('express');
const app = express();
app.post('/ping', (req, res) => {
  /*@*/fetch('http://audit/');
  res.end();
});
`,
      `'use strict';
const express = require('express');

// Inserted by faultline (await-or-catch): reports the failure of a promise nobody awaits instead of letting it end the process.
function reportRejection(err) {
  console.error('a background task failed:', err);
}

const app = express();
app.post('/ping', (req, res) => {
  fetch('http://audit/').catch(reportRejection);
  res.end();
});
`,
      { path: 'server.js', smell: 'floating-promise' },
    );
  });

  it('refuses handled, awaited, voided and non-statement promises', () => {
    doRefuse(R, `async function f() { /*@*/g().catch(() => 0); }`, /already handles rejection/);
    doRefuse(R, `async function f() { /*@*/g().then(a, b); }`, /already handles rejection/);
    doRefuse(R, `async function f() { await /*@*/g(); }`, /already awaited/);
    doRefuse(R, `function f() { void /*@*/g(); }`, /void/);
    doRefuse(R, `function f() { return /*@*/g(); }`, /not used as a statement/);
    doRefuse(R, `function f() { /*@*/x = 1; }`, /not a call/);
  });
});

import { describe, it } from 'vitest';
import { addErrorListener } from '../../../src/refactor/recipes/add-error-listener.js';
import { doRefuse, doTest } from './harness.js';

const R = addErrorListener;

describe('add-error-listener', () => {
  it('chains a listener that destroys the pipe destination (TypeScript)', () => {
    doTest(
      R,
      `import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
export function send(path: string, res: ServerResponse): void {
  /*@*/fs.createReadStream(path).pipe(res);
}
`,
      `import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
export function send(path: string, res: ServerResponse): void {
  fs.createReadStream(path).on('error', (err) => res.destroy(err)).pipe(res);
}
`,
      { smell: 'missing-error-listener', typecheck: true },
    );
  });

  it('adds a statement after a variable declaration, piped later', () => {
    doTest(
      R,
      `const { createReadStream } = require('fs');
function download(req, res) {
    const file = /*@*/createReadStream(req.params.name);
    file.pipe(res);
}
`,
      `const { createReadStream } = require('fs');
function download(req, res) {
    const file = createReadStream(req.params.name);
    file.on('error', (err) => res.destroy(err));
    file.pipe(res);
}
`,
      { path: 'a.js', smell: 'missing-error-listener' },
    );
  });

  it('rejects the enclosing promise, or passes the error to next', () => {
    doTest(
      R,
      `import net from 'node:net';
export function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = /*@*/net.connect(port, '127.0.0.1', () => {
      s.end();
      resolve();
    });
  });
}
`,
      `import net from 'node:net';
export function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.end();
      resolve();
    });
    s.on('error', reject);
  });
}
`,
      { smell: 'missing-error-listener', typecheck: true },
    );
    doTest(
      R,
      `const zlib = require("zlib")
app.get("/z", (req, res, next) => {
  req.pipe(/*@*/zlib.createGzip()).pipe(res)
})
`,
      `const zlib = require("zlib")
app.get("/z", (req, res, next) => {
  req.pipe(zlib.createGzip().on("error", (err) => res.destroy(err))).pipe(res)
})
`,
      { path: 'a.js', smell: 'missing-error-listener' },
    );
  });

  it('reports on stderr when nothing better is at hand; an emitter that emits error gets a listener', () => {
    doTest(
      R,
      `const fs = require('fs');
function log(line) {
  /*@*/fs.createWriteStream('app.log', { flags: 'a' }).end(line);
}
`,
      `const fs = require('fs');
function log(line) {
  fs.createWriteStream('app.log', { flags: 'a' }).on('error', (err) => console.error('fs.createWriteStream() failed:', err)).end(line);
}
`,
      { path: 'a.js', smell: 'missing-error-listener' },
    );
    doTest(
      R,
      `import { EventEmitter } from 'events';
function run() {
  const bus = /*@*/new EventEmitter();
  bus.emit('error', new Error('x'));
}
`,
      `import { EventEmitter } from 'events';
function run() {
  const bus = new EventEmitter();
  bus.on('error', (err) => console.error('new EventEmitter() failed:', err));
  bus.emit('error', new Error('x'));
}
`,
      { path: 'a.mjs', smell: 'missing-error-listener' },
    );
  });

  it('refuses handled, escaping and quiet values', () => {
    doRefuse(R, `const fs = require('fs');\nfunction f(res) { /*@*/fs.createReadStream('x').on('error', () => {}).pipe(res); }`, /already has an .on\('error'/);
    doRefuse(R, `const fs = require('fs');\nconst { pipeline } = require('stream');\nfunction f(res, cb) { pipeline(/*@*/fs.createReadStream('x'), res, cb); }`, /pipeline\(\)/);
    doRefuse(R, `const fs = require('fs');\nfunction f() { return /*@*/fs.createReadStream('x'); }`, /leaves this function/);
    doRefuse(R, `const fs = require('fs');\nfunction f(o) { const s = /*@*/fs.createReadStream('x');\n  o.stream = s; }`, /leaves this function/);
    doRefuse(R, `const fs = require('fs');\nfunction f() { const s = /*@*/fs.createReadStream('x');\n  s.once('error', () => {}); }`, /already has/);
    doRefuse(R, `import { EventEmitter } from 'events';\nfunction f() { const e = /*@*/new EventEmitter();\n  e.emit('tick'); }`, /nothing here emits 'error'/);
    doRefuse(R, `/*@*/makeStream().pipe(res);`, /no stream or emitter/);
  });
});

// The shop's own tests (`npm test` builds with tsc first): the built pricing service and api, started on free
// ports, asked real questions. They pin what the shop promises, not how it is written, so they hold before and
// after faultline's fixes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** Starts a built service on port 0 and resolves with its port once it says it listens. */
function start(file, env) {
  const child = spawn(process.execPath, [join(dist, file)], { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before listening:\n${out}`)));
  });
  return { child, ready };
}

/** Stops a service gracefully (SIGTERM: it closes its server and exits, so coverage tools see its run), SIGKILL after 3 s. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The price the pricing service computes for a SKU (its documented rule). */
function expectedCents(sku) {
  let h = 0;
  for (const c of sku) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 100 + (h % 9900);
}

describe('the shop', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'shop-test-'));
  let pricing;
  let api;
  let base;

  before(async () => {
    // an order from an earlier life of the service, which the store must load at start-up
    writeFileSync(join(dataDir, 'orders.jsonl'), JSON.stringify({ id: 'o-1', sku: 'sku-1', quantity: 1, totalCents: 500, createdAt: '2024-01-01T00:00:00.000Z' }) + '\n');
    pricing = start('pricing.js', {});
    const pricingPort = await pricing.ready;
    // every request goes to pricing (no fresh cache entry), as under faultline's load
    api = start('api.js', { PRICING_URL: `http://127.0.0.1:${pricingPort}`, DATA_DIR: dataDir, PRICE_CACHE_TTL_MS: '0' });
    base = `http://127.0.0.1:${await api.ready}`;
    // the api's first call to pricing loads fetch and connects: on a busy machine it can outlast a short
    // pricing timeout (a fix may add one), so warm it up first, as a deployment's readiness probe would
    for (let i = 0; i < 20 && (await fetch(`${base}/products/warm-up`)).status !== 200; i++);
  });

  after(async () => {
    await Promise.all([api && stop(api.child), pricing && stop(pricing.child)]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('health', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, 'ok');
  });

  test('a product has the price pricing computes', async () => {
    const res = await fetch(`${base}/products/sku-42`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sku: 'sku-42', name: 'Product sku-42', price: { cents: expectedCents('sku-42'), currency: 'EUR' } });
  });

  test('an order is priced, stored, and counted in the report with the orders loaded at start-up', async () => {
    const res = await fetch(`${base}/orders`, { method: 'POST', body: JSON.stringify({ sku: 'sku-7', quantity: 3 }) });
    assert.equal(res.status, 201);
    const order = await res.json();
    assert.equal(order.totalCents, 3 * expectedCents('sku-7'));
    assert.match(order.id, /^[0-9a-f-]{36}$/);
    const report = await (await fetch(`${base}/report`)).json();
    assert.equal(report.orders, 2);
    assert.equal(report.revenueCents, 500 + 3 * expectedCents('sku-7'));
  });

  test('a malformed order is an error answer, and the api keeps serving', async () => {
    const res = await fetch(`${base}/orders`, { method: 'POST', body: '{"sku": "sku-7", ' });
    assert.ok(res.status >= 400 && res.status < 600, `status ${res.status}`);
    assert.equal(typeof (await res.json()).error, 'string');
    assert.equal((await fetch(`${base}/products/sku-9`)).status, 200);
  });

  test('an unknown route is 404', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });

  // last: it stops pricing
  test('with pricing gone, a product priced before is served from the last known price; a new one fails', async () => {
    assert.equal((await fetch(`${base}/products/sku-42`)).status, 200);
    await stop(pricing.child);
    const res = await fetch(`${base}/products/sku-42`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).price.cents, expectedCents('sku-42'));
    assert.ok((await fetch(`${base}/products/never-seen`)).status >= 500);
  });
});

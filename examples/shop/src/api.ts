// The shop API: products (with prices from the pricing service), orders (in the embedded store), a report.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { fetchPrice, cacheSize } from './pricing-client.js';
import { OrderStore } from './store.js';
import { buildReport } from './report.js';

const port = Number(process.env.PORT ?? 7300);
const store = new OrderStore(process.env.DATA_DIR ?? '.data');

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

export async function getProduct(sku: string): Promise<{ sku: string; name: string; price: { cents: number; currency: string } }> {
  const price = await fetchPrice(sku);
  return { sku, name: `Product ${sku}`, price: { cents: price.cents, currency: price.currency } };
}

export async function placeOrder(raw: string): Promise<{ id: string; totalCents: number }> {
  // weakness: unguarded JSON.parse of the request body
  const input = JSON.parse(raw) as { sku: string; quantity: number };
  const price = await fetchPrice(input.sku);
  const order = { id: randomUUID(), sku: input.sku, quantity: input.quantity, totalCents: price.cents * input.quantity, createdAt: new Date().toISOString() };
  store.add(order);
  return { id: order.id, totalCents: order.totalCents };
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/health') return send(res, 200, { status: 'ok', cacheSize: cacheSize() });
    const product = /^\/products\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && product) return send(res, 200, await getProduct(product[1] as string));
    if (req.method === 'POST' && url.pathname === '/orders') return send(res, 201, await placeOrder(await readBody(req)));
    if (req.method === 'GET' && url.pathname === '/report') return send(res, 200, buildReport(store.all()));
    return send(res, 404, { error: 'not found' });
  } catch (err) {
    // weakness: every failure becomes a 500 with the raw message; no distinction between bad input and outage
    return send(res, 500, { error: (err as Error).message });
  }
});

server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`shop api listening on ${typeof addr === 'object' && addr ? addr.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

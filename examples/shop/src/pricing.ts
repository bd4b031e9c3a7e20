// The downstream pricing service: GET /price/:sku answers {sku, cents, currency}.
// It is deliberately plain; faultline breaks the link to it, pauses it, or stops it.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 7301);
const prices = new Map<string, number>();

function priceOf(sku: string): number {
  let cached = prices.get(sku);
  if (cached === undefined) {
    let h = 0;
    for (const c of sku) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    cached = 100 + (h % 9900);
    prices.set(sku, cached);
  }
  return cached;
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  const m = /^\/price\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    const sku = m[1] as string;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sku, cents: priceOf(sku), currency: 'EUR' }));
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
});

server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`pricing listening on ${typeof addr === 'object' && addr ? addr.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

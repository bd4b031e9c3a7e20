// Calls the pricing service. Its weaknesses are the ones real services have:
// no timeout on the outbound call, no retry, an unguarded JSON.parse, and an unbounded cache.
// It does keep a fallback: when the call FAILS (refused, reset, aborted) it answers with the last known price.
// But a slow pricing never fails, it only makes the caller wait, so without a timeout that fallback never runs.

export interface Price {
  sku: string;
  cents: number;
  currency: string;
}

const pricingUrl = process.env.PRICING_URL ?? 'http://127.0.0.1:7301';

// weakness: grows without bound, one entry per distinct SKU ever asked for
const cache = new Map<string, { price: Price; at: number }>();
const CACHE_TTL_MS = Number(process.env.PRICE_CACHE_TTL_MS ?? 1000);

export async function fetchPrice(sku: string): Promise<Price> {
  const hit = cache.get(sku);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.price;
  let res: Response;
  let text: string;
  try {
    // weakness: no timeout (a slow pricing is waited for as long as it takes), no retry
    res = await fetch(`${pricingUrl}/price/${encodeURIComponent(sku)}`);
    text = await res.text();
  } catch (err) {
    // the call failed: serve the last known price, however old, rather than fail the request
    if (hit) return hit.price;
    throw err;
  }
  // weakness: an error answer from pricing (e.g. 503) fails the request: no retry, no fallback
  if (!res.ok) throw new Error(`pricing answered ${res.status}`);
  // weakness: unguarded JSON.parse of a downstream body
  const price = JSON.parse(text) as Price;
  cache.set(sku, { price, at: Date.now() });
  return price;
}

export function cacheSize(): number {
  return cache.size;
}

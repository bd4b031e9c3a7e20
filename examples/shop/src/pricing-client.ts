// Calls the pricing service. Its weaknesses are the ones real services have:
// no timeout on the outbound call, no retry, an unguarded JSON.parse, and an unbounded cache.

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
  // weakness: no timeout, no retry
  const res = await fetch(`${pricingUrl}/price/${encodeURIComponent(sku)}`);
  if (!res.ok) throw new Error(`pricing answered ${res.status}`);
  const text = await res.text();
  // weakness: unguarded JSON.parse of a downstream body
  const price = JSON.parse(text) as Price;
  cache.set(sku, { price, at: Date.now() });
  return price;
}

export function cacheSize(): number {
  return cache.size;
}

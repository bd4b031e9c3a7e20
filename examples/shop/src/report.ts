import type { Order } from './store.js';

// weakness: CPU-heavy work on the request thread (a naive statistic over every order, recomputed per call)
export function buildReport(orders: Order[], rounds = 200_000): { orders: number; revenueCents: number; checksum: number } {
  let checksum = 0;
  for (let i = 0; i < rounds; i++) {
    checksum = (checksum * 33 + (orders[i % Math.max(1, orders.length)]?.totalCents ?? i)) % 1_000_000_007;
  }
  const revenueCents = orders.reduce((s, o) => s + o.totalCents, 0);
  return { orders: orders.length, revenueCents, checksum };
}

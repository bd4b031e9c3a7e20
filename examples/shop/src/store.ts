// The embedded store: an append-only JSON-lines file with an in-memory index, like many small services keep.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Order {
  id: string;
  sku: string;
  quantity: number;
  totalCents: number;
  createdAt: string;
}

export class OrderStore {
  private readonly file: string;
  private readonly orders = new Map<string, Order>();

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'orders.jsonl');
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        // weakness: one corrupted line stops the service from starting
        const order = JSON.parse(line) as Order;
        this.orders.set(order.id, order);
      }
    }
  }

  add(order: Order): void {
    // weakness: a synchronous write on the request path
    appendFileSync(this.file, JSON.stringify(order) + '\n');
    this.orders.set(order.id, order);
  }

  get(id: string): Order | undefined {
    return this.orders.get(id);
  }

  all(): Order[] {
    return [...this.orders.values()];
  }
}

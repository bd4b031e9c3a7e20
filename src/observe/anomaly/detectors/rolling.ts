/** Bounded-memory building blocks for streaming detectors: a ring of the last n values and a sorted window. */

/** The last `capacity` values, oldest first by index 0 … size-1. */
export class Ring {
  readonly buf: Float64Array;
  private start = 0;
  size = 0;
  constructor(readonly capacity: number) {
    this.buf = new Float64Array(Math.max(1, capacity));
  }
  /** appends `v`; returns the value pushed out, or undefined while not full */
  push(v: number): number | undefined {
    if (this.size < this.capacity) {
      this.buf[(this.start + this.size++) % this.capacity] = v;
      return undefined;
    }
    const old = this.buf[this.start] as number;
    this.buf[this.start] = v;
    this.start = (this.start + 1) % this.capacity;
    return old;
  }
  /** i-th oldest value (0 = oldest) */
  at(i: number): number {
    return this.buf[(this.start + i) % this.capacity] as number;
  }
  /** i-th newest value (0 = newest) */
  back(i: number): number {
    return this.buf[(this.start + this.size - 1 - i) % this.capacity] as number;
  }
  get full(): boolean {
    return this.size === this.capacity;
  }
  memoryBytes(): number {
    return this.capacity * 8 + 48;
  }
}

/**
 * The last `capacity` values kept sorted too, for rolling medians and MADs: O(capacity) per update (a binary
 * search and a block move), O(1) median, O(capacity) MAD.
 */
export class SortedWindow {
  private readonly ring: Ring;
  private readonly sorted: Float64Array;
  constructor(readonly capacity: number) {
    this.ring = new Ring(capacity);
    this.sorted = new Float64Array(Math.max(1, capacity));
  }
  get size(): number {
    return this.ring.size;
  }
  push(v: number): void {
    const n = this.ring.size;
    const old = this.ring.push(v);
    let len = n;
    if (old !== undefined) {
      const i = this.lowerBound(old, len);
      this.sorted.copyWithin(i, i + 1, len);
      len--;
    }
    const j = this.lowerBound(v, len);
    this.sorted.copyWithin(j + 1, j, len);
    this.sorted[j] = v;
  }
  private lowerBound(v: number, len: number): number {
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** the q-quantile (0…1) by linear interpolation */
  quantile(q: number): number {
    const n = this.ring.size;
    if (n === 0) return NaN;
    const pos = q * (n - 1);
    const i = Math.floor(pos);
    const f = pos - i;
    const a = this.sorted[i] as number;
    return f === 0 ? a : a + f * ((this.sorted[Math.min(i + 1, n - 1)] as number) - a);
  }
  median(): number {
    return this.quantile(0.5);
  }
  /** median absolute deviation from `center`: walks outwards from `center` in the sorted window */
  mad(center: number): number {
    const n = this.ring.size;
    if (n === 0) return NaN;
    let hi = this.lowerBound(center, n);
    let lo = hi - 1;
    const k = Math.floor((n - 1) / 2); // index of the (lower) median distance
    let d = 0;
    for (let c = 0; c <= k; c++) {
      const dl = lo >= 0 ? center - (this.sorted[lo] as number) : Infinity;
      const dh = hi < n ? (this.sorted[hi] as number) - center : Infinity;
      if (dl <= dh) {
        d = dl;
        lo--;
      } else {
        d = dh;
        hi++;
      }
    }
    return d;
  }
  memoryBytes(): number {
    return this.ring.memoryBytes() + this.capacity * 8 + 32;
  }
}

/** Seeded PRNG (mulberry32). Every run records its seed so a chaos run can be replayed. */
export interface Rng {
  readonly seed: number;
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [min, max] */
  int(min: number, max: number): number;
  /** normal(mean, sd) via Box-Muller */
  normal(mean: number, sd: number): number;
  /** a derived, independent generator (e.g. one per connection) */
  fork(): Rng;
}

export function createRng(seed: number = (Date.now() ^ (process.pid << 16)) >>> 0): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: (mean, sd) => {
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    fork: () => createRng(Math.floor(next() * 4294967296)),
  };
  return rng;
}

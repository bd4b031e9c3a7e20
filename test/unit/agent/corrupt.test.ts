import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { corruptValue } from '../../../src/inject/agent/kinds/corrupt.js';

const rng = () => createRng(42);

describe('corruptValue', () => {
  it('changes scalars by fixed rules', () => {
    expect(corruptValue('abcdef', rng())).toBe('abc');
    expect(corruptValue(10, rng())).toBe(-11);
    expect(corruptValue(0, rng())).toBe(-1);
    expect(corruptValue(5n, rng())).toBe(-6n);
    expect(corruptValue(true, rng())).toBe(false);
    expect(corruptValue(null, rng())).toBeNull();
    expect(corruptValue(undefined, rng())).toBeUndefined();
    expect(Number.isNaN((corruptValue(new Date(), rng()) as Date).getTime())).toBe(true);
  });

  it('truncates arrays and byte arrays without touching the original', () => {
    const a = [1, 2, 3, 4, 5];
    expect(corruptValue(a, rng())).toEqual([1, 2]);
    expect(a).toHaveLength(5);
    const b = Buffer.from('hello!');
    expect((corruptValue(b, rng()) as Buffer).toString()).toBe('hel');
    expect(b.toString()).toBe('hello!');
  });

  it('drops one field of an object copy, keeping its prototype', () => {
    class Price {
      amount = 3;
      currency = 'EUR';
      label(): string {
        return `${this.amount}`;
      }
    }
    const p = new Price();
    const c = corruptValue(p, rng()) as Price;
    expect(c).toBeInstanceOf(Price);
    expect(Object.keys(c)).toHaveLength(1);
    expect(Object.keys(p)).toHaveLength(2);
  });

  it('drops or mutates a named (nested) field', () => {
    const o = { item: 'apple', price: { amount: 3, currency: 'EUR' } };
    expect(corruptValue(o, rng(), { field: 'price.amount' })).toEqual({ item: 'apple', price: { currency: 'EUR' } });
    expect(corruptValue(o, rng(), { field: 'price.amount', mode: 'mutate' })).toEqual({ item: 'apple', price: { amount: -4, currency: 'EUR' } });
    expect(corruptValue(o, rng(), { field: 'item', mode: 'mutate' })).toEqual({ item: 'ap', price: { amount: 3, currency: 'EUR' } });
    expect(corruptValue(o, rng(), { field: 'missing' })).toBe(o);
    expect(o.price.amount).toBe(3);
  });

  it('draws the field with the seeded generator (same seed, same field)', () => {
    const o = { a: 1, b: 2, c: 3, d: 4, e: 5 };
    const pick = (seed: number) => Object.keys(o).filter((k) => !(k in (corruptValue(o, createRng(seed)) as object)));
    expect(pick(7)).toEqual(pick(7));
    const dropped = new Set(Array.from({ length: 40 }, (_, i) => pick(i)[0]));
    expect(dropped.size).toBeGreaterThan(2);
  });

  it('removes one entry of a Map or Set copy', () => {
    const m = new Map([[1, 'a'], [2, 'b']]);
    expect((corruptValue(m, rng()) as Map<number, string>).size).toBe(1);
    expect(m.size).toBe(2);
    expect((corruptValue(new Set([1, 2, 3]), rng()) as Set<number>).size).toBe(2);
  });
});

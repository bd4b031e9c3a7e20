// What a rejected promise of a rollback adapter says: its FaultlineError code and message (the three adapters' tests).
import { expect } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';

export async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeDefined();
  return isFaultlineError(e) ? { code: e.code, message: e.message } : { message: String(e) };
}

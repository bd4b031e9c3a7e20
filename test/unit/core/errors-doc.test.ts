import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderErrorsDoc } from '../../../src/core/errors-doc.js';
import { ERROR_CODES } from '../../../src/core/error-codes.js';
import { FaultlineError } from '../../../src/core/errors.js';

describe('error registry', () => {
  it('docs/errors.md is generated from the registry and up to date (run node scripts/gen-errors-doc.mjs)', () => {
    expect(readFileSync(resolve(__dirname, '../../../docs/errors.md'), 'utf8')).toBe(renderErrorsDoc());
  });
  it('every code is FL_ERR_ prefixed and carries exit and HTTP statuses', () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^FL_ERR_[A-Z0-9_]+$/);
      expect(e.http).toBeGreaterThanOrEqual(400);
      expect(e.exit).toBeGreaterThan(0);
    }
  });
  it('FaultlineError exposes code, exit code, status and JSON', () => {
    const e = new FaultlineError('FL_ERR_PROXY_NOT_FOUND', 'proxy x not found', { context: { name: 'x' } });
    expect(e.exitCode).toBe(2);
    expect(e.statusCode).toBe(404);
    expect(e.toJSON()).toEqual({ code: 'FL_ERR_PROXY_NOT_FOUND', message: 'proxy x not found', statusCode: 404, context: { name: 'x' } });
  });
});

import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export interface ErrorContext {
  [key: string]: unknown;
}

/** The one error type faultline throws on purpose. Callers and tests match on `code`, never on the message. */
export class FaultlineError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  constructor(code: ErrorCode, message?: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FaultlineError';
    this.code = code;
    this.context = options.context ?? {};
  }
  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
  get statusCode(): number {
    return ERROR_CODES[this.code].http;
  }
  get hint(): string {
    return ERROR_CODES[this.code].hint;
  }
  toJSON(): { code: ErrorCode; message: string; statusCode: number; context: ErrorContext } {
    return { code: this.code, message: this.message, statusCode: this.statusCode, context: this.context };
  }
}

export function isFaultlineError(e: unknown, code?: ErrorCode): e is FaultlineError {
  return e instanceof FaultlineError && (code === undefined || e.code === code);
}

export function assertNever(x: never, what = 'value'): never {
  throw new FaultlineError('FL_ERR_INTERNAL', `unexpected ${what}: ${JSON.stringify(x)}`);
}

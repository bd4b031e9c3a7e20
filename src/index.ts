/** faultline's programmatic entry point: the pieces other tools embed. */
export { FaultlineError, isFaultlineError } from './core/errors.js';
export { ERROR_CODES, type ErrorCode } from './core/error-codes.js';
export { loadConfig, parseConfig, configSchema } from './core/config.js';
export type { FaultlineConfig, ServiceConfig, SafeZones } from './core/config-types.js';
export type { FaultRequest, ActiveFault, InjectionGuard, LedgerSink, LedgerEvent } from './core/fault.js';
export { createGuard } from './core/safe-zones.js';
export { createRng, type Rng } from './core/rng.js';
export { openLedger, type Ledger } from './store/ledger.js';
export { runLoad, summarize, type LoadSummary } from './observe/load.js';

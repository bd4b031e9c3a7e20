/** The one interface every process fault implements; the injector knows faults only through it. */
import type { ServiceConfig } from '../../../core/config-types.js';
import type { FaultTarget } from '../../../core/fault.js';
import type { RevertStep } from '../plan.js';
import type { ServiceRecord, Supervisor } from '../supervisor.js';

/** The request's target, resolved against /proc and services.json before apply() runs. */
export interface ResolvedTarget {
  target: FaultTarget;
  /** the process to act on, when the target names one */
  pid?: number;
  startTimeTicks?: number;
  /** true for services faultline started: they lead their own process group, which is signalled as a whole */
  group: boolean;
  /** the service's record and configuration, when the target is a service */
  service?: { name: string; record?: ServiceRecord; config?: ServiceConfig };
}

export interface ApplyContext {
  id: string;
  stateDir: string;
  services: Supervisor;
  ttlMs: number;
  expiresAt: number;
}

export interface Applied {
  /** executed at expiry by the TTL guard, or earlier by revert */
  plan: RevertStep[];
  detail: Record<string, unknown>;
}

/**
 * What a fault needs as its target: a running process (`--pid` or a running service), a configured service
 * faultline starts (`--service`), or nothing (an optional target is only reported).
 */
export type TargetNeed = 'process' | 'service' | 'optional';

export interface ProcessFault<P extends Record<string, unknown> = Record<string, unknown>> {
  kind: string;
  summary: string;
  target: TargetNeed;
  /** checks and normalises params (units parsed, defaults applied); throws FL_ERR_INVALID_ARGUMENT naming the param */
  validate(params: Record<string, unknown>): P;
  /**
   * The revert plan, when it follows from the target and params alone (a PID and start time to SIGCONT, a path to
   * remove, a service to start). The injector then writes it and starts the TTL guard BEFORE apply(), so a controller
   * killed while applying still leaves a fault that ends at its TTL. Also checks the preconditions apply() needs.
   * Executing the plan must be harmless when apply() never ran or failed half-way; apply() returns the same plan.
   * Faults without it (cpu, memory: the helper's PID is known only after apply) get their guard after apply(), and
   * their helpers end by themselves at the TTL.
   */
  planAhead?(ctx: ApplyContext, target: ResolvedTarget, params: P): RevertStep[];
  apply(ctx: ApplyContext, target: ResolvedTarget, params: P): Promise<Applied>;
}

/** Erases the params type so faults with different params share one registry. */
export function defineFault<P extends Record<string, unknown>>(f: ProcessFault<P>): ProcessFault {
  return f as unknown as ProcessFault;
}

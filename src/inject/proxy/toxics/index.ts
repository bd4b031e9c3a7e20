/** The toxic registry: every toxic type by name. Add a toxic by writing one file and listing it here. */
import { FaultlineError } from '../../../core/errors.js';
import type { ToxicDefinition } from '../types.js';
import { bandwidth } from './bandwidth.js';
import { blackhole, partition } from './blackhole.js';
import { httpAbort } from './http-abort.js';
import { httpBody } from './http-body.js';
import { httpDelay } from './http-delay.js';
import { httpHeader } from './http-header.js';
import { httpStatus } from './http-status.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { loss } from './loss.js';
import { noop } from './noop.js';
import { resetPeer } from './reset-peer.js';
import { slicer } from './slicer.js';
import { slowClose } from './slow-close.js';
import { stall } from './stall.js';
import { timeout } from './timeout.js';

const registry = new Map<string, ToxicDefinition>();

export function registerToxic(def: ToxicDefinition): void {
  if (registry.has(def.type)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `toxic type ${def.type} is already registered`);
  registry.set(def.type, def);
}

for (const def of [latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData, noop, loss, stall, blackhole, partition, httpStatus, httpAbort, httpDelay, httpHeader, httpBody] as ToxicDefinition[]) {
  registerToxic(def);
}

export function toxicTypes(): string[] {
  return [...registry.keys()];
}

export function findToxicDefinition(type: string): ToxicDefinition | undefined {
  return registry.get(type);
}

export function findToxicDefinitionOrThrow(type: string): ToxicDefinition {
  const def = registry.get(type);
  if (!def) throw new FaultlineError('FL_ERR_TOXIC_TYPE', `invalid toxic type: ${JSON.stringify(type)}; known types: ${toxicTypes().join(', ')}`, { context: { attribute: 'type' } });
  return def;
}

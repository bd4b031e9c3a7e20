/** L3 network faults in network namespaces: namespace manager, packet-filter and qdisc faults, TTL guard. */
export { detectNetCapabilities, missingCapabilities, requireCapabilities, NETEM_UNAVAILABLE_MESSAGE } from './capabilities.js';
export type { CapabilityStatus, NetCapabilities, NetCapability } from './capabilities.js';
export { systemRunner } from './exec.js';
export type { CommandResult, CommandRunner } from './exec.js';
export { createNamespace, destroyNamespace, listNamespaces, runInNamespace, HOST_ALLOC_LOCK } from './namespace.js';
export type { NamespaceOptions, NamespaceProcess, NamespaceStatus, RunOptions } from './namespace.js';
export { activeNetworkFaults, applyNetworkFault, findNetworkFault, revertNetworkFault } from './faults.js';
export type { NetemDeps, NetworkFaultSpec } from './faults.js';
export { NETWORK_FAULT_KINDS, normalizeParams, parseRateBitsPerSec } from './rules.js';
export type { Direction, NetworkFaultKind, NetworkFaultParams } from './rules.js';
export { readRecord, readRecordOrThrow, listRecords } from './state.js';
export type { FaultArtifact, NamespaceAddresses, NamespaceRecord, NetworkFaultRecord } from './state.js';

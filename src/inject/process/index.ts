/** Process faults and the service supervisor: the public surface for the CLI, the experiment runner and the server. */
export { Supervisor, agentImportPath, startOrder, probeHealth, effectiveHealth, readServiceRecords, liveServiceRecord } from './supervisor.js';
export type { ServiceRecord, ServiceStatus, ServiceExit, SupervisorOptions } from './supervisor.js';
export { injectProcessFault, revertFault, revertAll, listActiveFaults, holdUntilExpiry, processFaultKinds, protectedPids } from './inject.js';
export type { ProcessFaultDeps, RevertDeps, ActiveProcessFault, RevertResult } from './inject.js';
export { PROCESS_FAULTS, findProcessFault } from './faults/index.js';
export type { ProcessFault, ApplyContext, Applied, ResolvedTarget, TargetNeed } from './faults/index.js';
export type { RevertStep } from './plan.js';
export { eventsFile, servicesFile, faultsDir, serviceLogFile } from './state.js';

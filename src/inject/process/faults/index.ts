/** The registry of process faults, by name. */
import { breakmodule } from './breakmodule.js';
import { clockdrift } from './clockdrift.js';
import { corruptfile } from './corruptfile.js';
import { cpu } from './cpu.js';
import { dependency } from './dependency.js';
import { disk } from './disk.js';
import { envdrift } from './envdrift.js';
import { hidebinary } from './hidebinary.js';
import { kill } from './kill.js';
import { memory } from './memory.js';
import { pause } from './pause.js';
import { timeskew } from './timeskew.js';
import type { ProcessFault } from './types.js';

export const PROCESS_FAULTS: Readonly<Record<string, ProcessFault>> = Object.freeze(
  Object.fromEntries([kill, pause, cpu, memory, disk, timeskew, clockdrift, dependency, envdrift, hidebinary, breakmodule, corruptfile].map((f) => [f.kind, f])),
);

export function findProcessFault(kind: string): ProcessFault | undefined {
  return Object.hasOwn(PROCESS_FAULTS, kind) ? PROCESS_FAULTS[kind] : undefined;
}

export type { ApplyContext, Applied, ProcessFault, ResolvedTarget, TargetNeed } from './types.js';

import type { AgentFaultKind, AgentFaultKindName } from '../types.js';
import { abortKind } from './abort.js';
import { blockKind } from './block.js';
import { corruptKind } from './corrupt.js';
import { delayKind } from './delay.js';
import { iolatencyKind } from './iolatency.js';
import { leakKind } from './leak.js';
import { profileKind } from './profile.js';
import { nullKind, undefinedKind } from './return-value.js';
import { statusKind } from './status.js';
import { throwKind } from './throw.js';

/** Every agent fault kind, by name. A kind acts on functions (`call`), routes (`request`), both, or the whole process (`start`). */
export const KINDS: Readonly<Record<AgentFaultKindName, AgentFaultKind<unknown>>> = {
  throw: throwKind,
  null: nullKind,
  undefined: undefinedKind,
  delay: delayKind,
  block: blockKind,
  corrupt: corruptKind,
  status: statusKind,
  abort: abortKind,
  leak: leakKind,
  iolatency: iolatencyKind,
  profile: profileKind,
};

/** The smell detectors, registered by kind (one file per smell). */
import type { Smell, SmellKind } from '../../../core/analysis.js';
import { SMELL_KINDS } from '../../../core/analysis.js';
import type { ParsedSource } from '../ts.js';
import { gatherFacts } from './facts.js';
import { floatingPromise } from './floating-promise.js';
import { missingErrorListener } from './missing-error-listener.js';
import { noTimeout } from './no-timeout.js';
import { swallowedError } from './swallowed-error.js';
import { syncIoOnRequestPath } from './sync-io-on-request-path.js';
import type { SmellDetector } from './types.js';
import { unboundedCollection } from './unbounded-collection.js';
import { unguardedJsonParse } from './unguarded-json-parse.js';

export type { SmellDetector } from './types.js';

export const SMELL_DETECTORS: Readonly<Record<SmellKind, SmellDetector>> = {
  'no-timeout': noTimeout,
  'unguarded-json-parse': unguardedJsonParse,
  'floating-promise': floatingPromise,
  'sync-io-on-request-path': syncIoOnRequestPath,
  'unbounded-collection': unboundedCollection,
  'missing-error-listener': missingErrorListener,
  'swallowed-error': swallowedError,
};

/** Runs the detectors (all, or the given kinds) over one parsed file; smells come sorted by line and column. */
export function detectSmells(path: string, parsed: ParsedSource, kinds: readonly SmellKind[] = SMELL_KINDS): Smell[] {
  const facts = gatherFacts(path, parsed.ast);
  const out: Smell[] = [];
  for (const k of kinds) out.push(...SMELL_DETECTORS[k].detect(facts));
  return out.sort((a, b) => a.line - b.line || a.col - b.col || a.kind.localeCompare(b.kind));
}

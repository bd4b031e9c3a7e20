import type { Smell, SmellKind } from '../../../core/analysis.js';
import type { FileFacts } from './facts.js';

/** One resilience smell: its kind, the recipe that fixes it, and a detector over the facts of one file. */
export interface SmellDetector {
  kind: SmellKind;
  recipe: string;
  detect(facts: FileFacts): Smell[];
}

/**
 * NAB's application profiles: the weights of true positives, false positives and missed windows
 * (config/profiles.json). The built-in defaults are NAB's own values.
 */
import { readFile } from 'node:fs/promises';
import { FaultlineError } from '../../../core/errors.js';

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
  /** read for completeness; NAB's score never uses it */
  tnWeight: number;
}

export type ProfileName = 'standard' | 'lowFP' | 'lowFN';
export const PROFILE_NAMES: readonly ProfileName[] = ['standard', 'lowFP', 'lowFN'];

/** The key of each profile in NAB's profiles.json, thresholds.json and final_results.json. */
export const NAB_PROFILE_KEYS: Readonly<Record<ProfileName, string>> = {
  standard: 'standard',
  lowFP: 'reward_low_FP_rate',
  lowFN: 'reward_low_FN_rate',
};

export type Profiles = Readonly<Record<ProfileName, CostMatrix>>;

/** NAB's config/profiles.json. */
export const NAB_PROFILES: Profiles = {
  standard: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0, tnWeight: 1.0 },
  lowFP: { tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0, tnWeight: 1.0 },
  lowFN: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0, tnWeight: 1.0 },
};

/** NAB's share of each series that is probationary (not scored). */
export const NAB_PROBATION_PERCENT = 0.15;

/** Parses a profiles.json in NAB's format ({"standard": {"CostMatrix": {...}}, "reward_low_FP_rate": …}). */
export function parseProfiles(text: string, file: string): Profiles {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${file} is not valid JSON: ${(e as Error).message}`, { context: { file } });
  }
  const out = {} as Record<ProfileName, CostMatrix>;
  for (const name of PROFILE_NAMES) {
    const key = NAB_PROFILE_KEYS[name];
    const m = (json as Record<string, { CostMatrix?: Record<string, unknown> } | undefined>)?.[key]?.CostMatrix;
    const w = (k: keyof CostMatrix): number => {
      const v = m?.[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${file}: ${key}.CostMatrix.${k} must be a number`, { context: { file, field: `${key}.CostMatrix.${k}` } });
      }
      return v;
    };
    out[name] = { tpWeight: w('tpWeight'), fpWeight: w('fpWeight'), fnWeight: w('fnWeight'), tnWeight: w('tnWeight') };
  }
  return out;
}

export async function readProfiles(file: string): Promise<Profiles> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `the profiles file ${file} does not exist`, { context: { file } });
  return parseProfiles(text, file);
}

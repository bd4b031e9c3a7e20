/**
 * An ensemble: the mean probability of its members (one model per kind, as model selection found them).
 * Contributions are in probability units: a member that explains in log-odds (logistic, gbt) is converted to
 * first order, contribution × p(1 − p); the ensemble's contribution is the mean over members.
 */
import type { EnsembleJson, Model } from './types.js';

export function ensembleModel(members: Model[]): Model {
  const features = (members[0] as Model).features;
  return {
    kind: 'ensemble',
    features,
    predict: (x) => members.reduce((s, m) => s + m.predict(x), 0) / members.length,
    explain: (x) => {
      const out = new Array<number>(features.length).fill(0);
      for (const m of members) {
        const p = m.predict(x);
        const scale = m.kind === 'forest' ? 1 : p * (1 - p);
        m.explain(x).forEach((c, j) => (out[j] = (out[j] as number) + (c * scale) / members.length));
      }
      return out;
    },
    toJSON: (): EnsembleJson => ({ kind: 'ensemble', features, members: members.map((m) => m.toJSON() as EnsembleJson['members'][number]) }),
  };
}

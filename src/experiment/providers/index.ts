/** The provider registry: one module per provider type. */
import { FaultlineError } from '../../core/errors.js';
import { faultlineProvider } from './faultline.js';
import { httpProvider } from './http.js';
import { processProvider } from './process.js';
import { prometheusProvider } from './prometheus.js';
import type { ProviderModule } from './types.js';

const PROVIDERS: ReadonlyMap<string, ProviderModule> = new Map([httpProvider, processProvider, prometheusProvider, faultlineProvider].map((p) => [p.type, p]));

export const providerTypes = (): string[] => [...PROVIDERS.keys()];

export function findProvider(type: string): ProviderModule | undefined {
  return PROVIDERS.get(type);
}

export function findProviderOrThrow(type: string): ProviderModule {
  const p = PROVIDERS.get(type);
  if (!p) throw new FaultlineError('FL_ERR_EXPERIMENT_INVALID', `provider type "${type}" is not supported; use one of ${providerTypes().join(', ')}`);
  return p;
}

/** Why a provider type cannot run, with the faultline provider to use instead. */
export function unsupportedProviderMessage(type: unknown): string {
  if (type === 'python') {
    return 'python providers cannot run in faultline (it does not load Python extensions); use the faultline provider for faults (func: inject/revert), http for HTTP probes, process to run a script (e.g. path: python3, arguments: [my_probe.py]), or prometheus for PromQL';
  }
  return `unknown provider type ${JSON.stringify(type)}; use one of ${providerTypes().join(', ')}`;
}

export type { ProviderModule, ProviderContext, FaultlineHooks } from './types.js';

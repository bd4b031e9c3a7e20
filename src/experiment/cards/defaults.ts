/** Variable values a project gets without --bind: derived from faultline.yaml, then its cards.bind. */
import { isAbsolute, resolve } from 'node:path';
import type { FaultlineConfig } from '../../core/config-types.js';
import { FaultlineError } from '../../core/errors.js';
import type { Bindings } from './bind.js';

const portOf = (hostPort: string): number | undefined => {
  const m = /:(\d+)$/.exec(hostPort);
  return m ? Number(m[1]) : undefined;
};

/**
 * {proxy}: the first proxy link; {dependency}: the service that link points to (by port); {service}: the service
 * the load URL reaches (by port), else the first service that is not the dependency; {dataDir}: that service's
 * DATA_DIR environment variable (resolved against its cwd). cards.bind of faultline.yaml overrides all of these.
 */
export function defaultBindings(config: FaultlineConfig): Bindings {
  const out: Bindings = {};
  const services = Object.values(config.services);
  const link = config.proxy.proxies[0];
  if (link) {
    out.proxy = link.name;
    const dep = services.find((s) => s.port !== undefined && s.port === portOf(link.upstream));
    if (dep) out.dependency = dep.name;
  }
  let loadPort: number | undefined;
  if (config.load) {
    try {
      loadPort = Number(new URL(config.load.url).port) || undefined;
    } catch {
      loadPort = undefined;
    }
  }
  const svc = services.find((s) => loadPort !== undefined && s.port === loadPort) ?? services.find((s) => s.name !== out.dependency) ?? services[0];
  if (svc) {
    out.service = svc.name;
    const dataDir = svc.env.DATA_DIR;
    if (dataDir) out.dataDir = isAbsolute(dataDir) ? dataDir : resolve(svc.cwd, dataDir);
  }
  return { ...out, ...config.cards.bind };
}

/** Parses `--bind key=value` options. */
export function parseBindOptions(values: readonly string[]): Bindings {
  const out: Bindings = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--bind "${v}": expected key=value, e.g. --bind fn=fetchPrice`);
    out[v.slice(0, i).trim()] = v.slice(i + 1);
  }
  return out;
}

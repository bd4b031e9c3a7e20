/**
 * The engine's admission control: safe zones, fault profiles and the concurrent-fault limit, enforced for
 * every fault whatever applies it (proxy, process controller, agent, network). Refusals name the rule.
 */
import { readFileSync } from 'node:fs';
import type { FaultlineConfig } from './config-types.js';
import { FaultlineError } from './errors.js';
import type { ActiveFault, FaultRequest, InjectionGuard } from './fault.js';

/** "GET /health", "/admin/*", "*"; the method part is optional. */
export function routeMatches(pattern: string, route: string): boolean {
  const [pm, pp] = splitRoute(pattern);
  const [rm, rp] = splitRoute(route);
  if (pm && rm && pm !== rm) return false;
  const re = new RegExp('^' + pp.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(rp);
}

const globRe = (glob: string): RegExp => new RegExp('^' + glob.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');

/**
 * True when a fault's route (which may itself be a glob, e.g. a proxy toxic on "*") can touch a request that
 * the protected pattern covers: either glob matches a sample path of the other.
 */
export function routesOverlap(protectedPattern: string, faultRoute: string): boolean {
  const [pm, pp] = splitRoute(protectedPattern);
  const [fm, fp] = splitRoute(faultRoute);
  if (pm && fm && pm !== fm && fm !== '*' && pm !== '*') return false;
  const sample = (g: string): string => g.replace(/\*/g, 'x');
  return globRe(pp).test(sample(fp)) || globRe(fp).test(sample(pp)) || globRe(fp).test(pp);
}

function splitRoute(r: string): [string | undefined, string] {
  const m = /^([A-Z]+)\s+(\S+)$/.exec(r.trim());
  return m ? [m[1], m[2] as string] : [undefined, r.trim()];
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export interface GuardOptions {
  /** resolves a PID to its process name; /proc by default */
  processName?: (pid: number) => string | undefined;
}

export function createGuard(config: Pick<FaultlineConfig, 'safeZones' | 'profiles'>, opts: GuardOptions = {}): InjectionGuard {
  const z = config.safeZones;
  const nameOf = opts.processName ?? processName;
  const refuse = (rule: string, why: string, req: FaultRequest): never => {
    throw new FaultlineError('FL_ERR_SAFE_ZONE', `refused by ${rule}: ${why}`, { context: { rule, kind: req.kind, target: req.target } });
  };
  return {
    admit(req: FaultRequest, active: readonly ActiveFault[]): void {
      if (!(req.ttlMs > 0)) throw new FaultlineError('FL_ERR_TTL_REQUIRED', `fault ${req.kind} has no positive ttl (got ${req.ttlMs})`);
      const t = req.target;
      if (t.service !== undefined && z.services.includes(t.service)) refuse('safeZones.services', `service "${t.service}" is never touched`, req);
      if (t.proxy !== undefined && z.proxies.includes(t.proxy)) refuse('safeZones.proxies', `proxy "${t.proxy}" is never touched`, req);
      if (t.route !== undefined) {
        const hit = z.routes.find((p) => routesOverlap(p, t.route as string));
        if (hit !== undefined) refuse('safeZones.routes', `route "${t.route}" matches protected "${hit}"`, req);
      }
      if (t.pid !== undefined) {
        if (t.pid === 1) refuse('builtin', 'PID 1 is never touched', req);
        if (t.pid === process.pid) refuse('builtin', 'faultline does not inject faults into itself', req);
        if (z.pids.includes(t.pid)) refuse('safeZones.pids', `PID ${t.pid} is never touched`, req);
        const name = nameOf(t.pid);
        if (name !== undefined && z.processes.includes(name)) refuse('safeZones.processes', `process "${name}" (PID ${t.pid}) is never touched`, req);
      }
      if (t.service !== undefined) {
        const profile = config.profiles[t.service];
        if (profile && profile.length > 0) {
          const entry = profile.find((p) => p.kind === req.kind && p.layer === req.layer);
          if (!entry) refuse(`profiles.${t.service}`, `service "${t.service}" allows only ${profile.map((p) => `${p.layer}/${p.kind}`).join(', ')}`, req);
          else if (req.ttlMs > entry.durationMs) refuse(`profiles.${t.service}`, `${req.kind} may last at most ${entry.durationMs} ms on "${t.service}" (asked ${req.ttlMs} ms)`, req);
        }
      }
      if (active.length >= z.maxConcurrentFaults) {
        throw new FaultlineError('FL_ERR_MAX_CONCURRENT_FAULTS', `refused by safeZones.maxConcurrentFaults: ${active.length} faults are active (max ${z.maxConcurrentFaults}); revert one first`, { context: { rule: 'safeZones.maxConcurrentFaults', active: active.map((a) => a.id) } });
      }
    },
  };
}

/** `faultline up`, `down`, `status`: the services of faultline.yaml. */
import { fileURLToPath } from 'node:url';
import type { FaultlineConfig, ServiceConfig } from '../../core/config-types.js';
import { FaultlineError } from '../../core/errors.js';
import type { CliContext, RegisterCommands } from '../context.js';
import { listActiveFaults, revertAll, Supervisor, type ServiceRecord } from '../../inject/process/index.js';

/** The name under which `up` runs the fault proxy when faultline.yaml lists proxy links. */
export const PROXY_SERVICE = 'faultline-proxy';

/**
 * The services of the config, plus the fault proxy as a service of its own when the config has proxy links:
 * services reach their dependencies through those links, so the proxy starts first and stops last.
 */
export function servicesWithProxy(config: FaultlineConfig): Record<string, ServiceConfig> {
  if (config.proxy.proxies.length === 0 || !config.file) return config.services;
  if (config.services[PROXY_SERVICE]) throw new FaultlineError('FL_ERR_CONFIG_INVALID', `services.${PROXY_SERVICE}: this name is reserved for the fault proxy that \`faultline up\` starts`);
  const bin = fileURLToPath(new URL('../../../bin/faultline.js', import.meta.url));
  const q = (x: string): string => `'${x.replace(/'/g, `'\\''`)}'`;
  const proxy: ServiceConfig = {
    name: PROXY_SERVICE,
    command: `${q(process.execPath)} ${q(bin)} proxy serve --config ${q(config.file)}`,
    cwd: process.cwd(),
    env: {},
    health: { http: `http://${config.proxy.listen}/version`, timeoutMs: 10_000, intervalMs: 50 },
    dependsOn: [],
    agent: false,
    stopTimeoutMs: 5000,
  };
  const out: Record<string, ServiceConfig> = { [PROXY_SERVICE]: proxy };
  for (const [name, svc] of Object.entries(config.services)) out[name] = { ...svc, dependsOn: [PROXY_SERVICE, ...svc.dependsOn] };
  return out;
}

/** Reverts the active process faults of `names` (all when empty) before the services are stopped or restarted. */
function revertServiceFaults(c: CliContext, sup: Supervisor, names: readonly string[]): ReturnType<typeof revertAll> {
  return revertAll({ stateDir: sup.stateDir, ledger: c.ledger(), actor: 'cli' }, names.length > 0 ? { services: names } : {});
}

function supervisor(c: CliContext): Supervisor {
  return new Supervisor({ services: servicesWithProxy(c.config()), stateDir: c.stateDir(), ledger: c.ledger(), actor: 'cli' });
}

function parseAttach(spec: string): { name: string; pid: number } {
  const m = /^([^=\s]+)=(\d+)$/.exec(spec.trim());
  if (!m) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--attach: "${spec}" is not NAME=PID (e.g. --attach api=12345)`);
  return { name: m[1] as string, pid: Number(m[2]) };
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

const describeRecord = (r: ServiceRecord): string =>
  `${r.name.padEnd(16)} pid ${String(r.pid).padEnd(8)} ${r.attached ? 'attached' : `started   log ${r.log ?? '-'}`}`;

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('up')
    .description(`start services of faultline.yaml in dependency order, wait until each is healthy, and leave them running in the background (recorded in <stateDir>/services.json); when the config has proxy links, the fault proxy runs first as service "${PROXY_SERVICE}"`)
    .argument('[service...]', 'services to start, with everything they depend on (default: all)')
    .option('--attach <name=pid...>', 'record an existing process as service NAME instead of starting anything (e.g. --attach api=12345)')
    .action(async (names: string[], o: { attach?: string[] }) => {
      const c = ctx();
      const sup = supervisor(c);
      let records: ServiceRecord[];
      if (o.attach && o.attach.length > 0) {
        if (names.length > 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', '--attach records existing processes; do not name services to start in the same command');
        records = o.attach.map(parseAttach).map(({ name, pid }) => sup.attach(name, pid));
      } else {
        c.progress(`starting ${names.length > 0 ? names.join(', ') : 'all services'}…`);
        records = await sup.start(names);
      }
      c.print(records, () => (records.length === 0 ? 'no services in faultline.yaml' : records.map(describeRecord).join('\n')));
    });

  program
    .command('down')
    .description('revert the active process faults of the services, then stop them in reverse dependency order (SIGTERM to the process group, SIGKILL after stopTimeoutMs); attached services are forgotten, not stopped')
    .argument('[service...]', 'services to stop (default: all, and every active process fault is reverted)')
    .action(async (names: string[]) => {
      const c = ctx();
      const sup = supervisor(c);
      const reverted = await revertServiceFaults(c, sup, names);
      const stopped = await sup.stop(names);
      c.print({ stopped, reverted: reverted.map((r) => ({ id: r.fault.id, kind: r.fault.kind, outcome: r.outcome, detail: r.detail })) }, () =>
        [
          ...reverted.map((r) => `reverted ${r.fault.id} (${r.fault.kind}): ${r.detail}`),
          stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'no running services to stop',
        ].join('\n'),
      );
    });

  program
    .command('restart')
    .description('restart services started by `faultline up` (stop, start, wait until healthy); process faults on them are reverted first')
    .argument('<service...>', 'services to restart')
    .action(async (names: string[]) => {
      const c = ctx();
      const sup = supervisor(c);
      for (const n of names) sup.configOrThrow(n);
      const reverted = await revertServiceFaults(c, sup, names);
      const records: ServiceRecord[] = [];
      for (const n of names) records.push(await sup.restart(n));
      c.print({ restarted: records, reverted: reverted.map((r) => r.fault.id) }, () => [...reverted.map((r) => `reverted ${r.fault.id} (${r.fault.kind})`), ...records.map(describeRecord)].join('\n'));
    });

  program
    .command('status')
    .description('show each service (PID, up/down, health, uptime) and the active process faults')
    .action(async () => {
      const c = ctx();
      const sup = supervisor(c);
      const services = await sup.status();
      const faults = listActiveFaults(sup.stateDir);
      c.print({ services, faults }, () => {
        const lines = services.map((s) => {
          const own = faults.filter((f) => f.target.service === s.name || (s.pid !== undefined && f.target.pid === s.pid));
          const health = s.healthy === undefined ? '-' : s.healthy ? 'healthy' : 'UNHEALTHY';
          return `${s.name.padEnd(16)} ${s.state.padEnd(5)} pid ${String(s.pid ?? '-').padEnd(8)} ${health.padEnd(10)} up ${s.uptimeMs === undefined ? '-' : formatUptime(s.uptimeMs)}${s.attached ? ' (attached)' : ''}${own.length > 0 ? `  faults: ${own.map((f) => `${f.kind} ${f.id}`).join(', ')}` : ''}`;
        });
        const other = faults.filter((f) => f.target.service === undefined);
        if (other.length > 0) lines.push(...other.map((f) => `fault ${f.id} ${f.kind} ${JSON.stringify(f.params)} expires in ${formatUptime(Math.max(0, f.expiresAt - Date.now()))}`));
        return lines.length > 0 ? lines.join('\n') : 'no services';
      });
    });
};

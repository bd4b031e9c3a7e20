/**
 * Commands that see every layer at once: `faultline faults` lists the active faults of the proxy, processes,
 * agents and network namespaces; `faultline revert` reverts them; `faultline inject <toxic> --proxy NAME`
 * adds a proxy toxic through the running proxy API.
 */
import type { Command } from 'commander';
import { FaultlineError } from '../../core/errors.js';
import { parseDurationMs } from '../../core/duration.js';
import type { ActiveFault, LedgerSink } from '../../core/fault.js';
import { AgentClient } from '../../inject/agent/client.js';
import { activeNetworkFaults, revertNetworkFault } from '../../inject/netem/index.js';
import { listActiveFaults, revertFault } from '../../inject/process/index.js';
import { ProxyApiClient } from '../../inject/proxy/client.js';
import { findToxicDefinition, toxicTypes } from '../../inject/proxy/toxics/index.js';
import type { ToxicSpec } from '../../inject/proxy/types.js';
import type { CliContext, RegisterCommands } from '../context.js';
import { attribute, describeToxic } from './proxy.js';

export interface LayerFault {
  id: string;
  layer: 'proxy' | 'process' | 'agent' | 'network';
  kind: string;
  target: string;
  expiresAt: string;
  params: Record<string, unknown>;
  /** how to reach it to revert it */
  via?: string;
}

const targetText = (f: ActiveFault): string =>
  Object.entries(f.target)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',') || '-';

function apiOf(c: CliContext, api?: string): string {
  if (api) return api;
  const listen = c.config().proxy.listen;
  return `http://${listen}`;
}

function proxyClient(api: string): ProxyApiClient {
  return new ProxyApiClient(api, { token: process.env.FAULTLINE_PROXY_TOKEN });
}

/** Every active fault this machine's state shows; the proxy API and agents are asked only if they answer. */
async function collect(c: CliContext, api: string): Promise<{ faults: LayerFault[]; unreachable: string[] }> {
  const stateDir = c.stateDir();
  const faults: LayerFault[] = [];
  const unreachable: string[] = [];
  const iso = (ms: number): string => new Date(ms).toISOString();
  for (const f of listActiveFaults(stateDir)) faults.push({ id: f.id, layer: 'process', kind: f.kind, target: targetText(f), expiresAt: iso(f.expiresAt), params: f.params });
  for (const f of activeNetworkFaults(stateDir)) faults.push({ id: f.id, layer: 'network', kind: f.kind, target: targetText(f), expiresAt: iso(f.expiresAt), params: f.params });
  for (const a of await AgentClient.list(stateDir)) {
    if (!a.reachable) continue;
    const client = AgentClient.fromAnnouncement(a);
    try {
      for (const f of (await client.faults()).faults) faults.push({ id: f.id, layer: 'agent', kind: f.kind, target: `pid=${a.pid},${f.target.route ?? `${f.target.module ?? '*'}#${f.target.fn ?? '*'}`}`, expiresAt: iso(f.expiresAt), params: f.params, via: client.address });
    } catch {
      unreachable.push(`agent of pid ${a.pid}`);
    }
  }
  try {
    for (const p of Object.values(await proxyClient(api).list())) {
      for (const t of p.toxics ?? []) faults.push({ id: `${p.name}/${t.name}`, layer: 'proxy', kind: t.type, target: `proxy=${p.name}`, expiresAt: t.expires_at, params: t.attributes, via: api });
    }
  } catch {
    unreachable.push(`proxy API ${api}`);
  }
  return { faults, unreachable };
}

async function revertOne(f: LayerFault, c: CliContext, ledger: LedgerSink): Promise<string> {
  const stateDir = c.stateDir();
  switch (f.layer) {
    case 'process':
      return (await revertFault(f.id, { stateDir, ledger, actor: 'cli' })).detail || 'nothing to undo';
    case 'network':
      return `${(await revertNetworkFault(f.id, { stateDir, ledger, actor: 'cli' })).removed} rule set(s) removed`;
    case 'agent': {
      await AgentClient.fromAddress(f.via as string).revert(f.id);
      ledger.record({ action: 'revert', faultId: f.id, kind: f.kind, layer: 'agent', target: f.target, params: f.params, actor: 'cli', outcome: 'ok' });
      return 'fault dropped by the agent';
    }
    case 'proxy': {
      const [proxy, toxic] = f.id.split('/') as [string, string];
      await proxyClient(f.via as string).removeToxic(proxy, toxic);
      return 'toxic removed by the proxy';
    }
  }
}

const line = (f: LayerFault): string => `${f.id}  ${f.layer}/${f.kind}  ${f.target}  ${JSON.stringify(f.params)}  expires ${f.expiresAt}`;

function registerProxyInjects(inject: Command, ctx: () => CliContext): void {
  const taken = new Set(inject.commands.map((c) => c.name()));
  for (const type of toxicTypes()) {
    const def = findToxicDefinition(type);
    if (!def || taken.has(type)) continue;
    const cmd = inject
      .command(type)
      .description(`${def.summary} (proxy toxic, through the running proxy API)`)
      .requiredOption('--proxy <name>', 'proxy link (see `faultline proxy list`)')
      .option('-s, --stream <stream>', 'upstream (client → server) or downstream (server → client)', 'downstream')
      .option('--toxicity <p>', 'share of connections affected, 0..1 (drawn once per connection)', '1')
      .option('-a, --attribute <key=value>', 'any attribute, repeatable', attribute, {})
      .option('--ttl <duration>', 'time-to-live, e.g. 30s (default: defaults.ttl of faultline.yaml); the proxy removes the toxic at expiry')
      .option('--api <url>', 'proxy API (default: proxy.listen of faultline.yaml)');
    for (const a of def.attributes) {
      const unit = 'unit' in a ? ` (${a.unit})` : '';
      cmd.option(`--${a.name.replace(/_/g, '-')} <value>`, `${a.doc}${unit}`);
    }
    cmd.action(async (o: Record<string, unknown> & { proxy: string; stream: string; toxicity: string; attribute: Record<string, unknown>; ttl?: string; api?: string }) => {
      const c = ctx();
      const attributes: Record<string, unknown> = { ...o.attribute };
      for (const a of def.attributes) {
        const key = a.name.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase());
        const raw = o[key];
        if (typeof raw !== 'string') continue;
        attributes[a.name] = a.type === 'integer' || a.type === 'number' ? Number(raw) : a.type === 'headers' || a.type === 'names' ? JSON.parse(raw) : raw;
      }
      const toxicity = Number(o.toxicity);
      if (!Number.isFinite(toxicity)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--toxicity: expected a number between 0 and 1, got "${o.toxicity}"`);
      const spec: ToxicSpec = { type, stream: o.stream as ToxicSpec['stream'], toxicity, attributes, ttl: o.ttl !== undefined ? parseDurationMs(o.ttl, '--ttl') : c.config().defaults.ttlMs };
      const api = apiOf(c, o.api);
      const t = await proxyClient(api).addToxic(o.proxy, spec);
      c.print(t, () => `injected ${describeToxic(t)} on ${o.proxy}\n  revert early with \`faultline revert ${o.proxy}/${t.name}\``);
    });
  }
}

export const register: RegisterCommands = (program, ctx) => {
  const inject = program.commands.find((c) => c.name() === 'inject') ?? program.command('inject').description('inject one fault now, with a time-to-live');
  registerProxyInjects(inject, ctx);

  program
    .command('faults')
    .description('list the active faults of every layer: proxy toxics, process faults, agent faults, network faults')
    .option('--api <url>', 'proxy API to ask (default: proxy.listen of faultline.yaml)')
    .action(async (o: { api?: string }) => {
      const c = ctx();
      const { faults, unreachable } = await collect(c, apiOf(c, o.api));
      c.print({ faults, unreachable }, () => (faults.length === 0 ? 'no active faults' : faults.map(line).join('\n')));
    });

  program
    .command('revert')
    .description('revert active faults now, on every layer; without ids, every active fault')
    .argument('[id...]', 'fault ids, as printed by `faultline inject` and `faultline faults`')
    .option('--api <url>', 'proxy API to ask (default: proxy.listen of faultline.yaml)')
    .action(async (ids: string[], o: { api?: string }) => {
      const c = ctx();
      const ledger = c.ledger();
      const { faults } = await collect(c, apiOf(c, o.api));
      const unknown = ids.filter((id) => !faults.some((f) => f.id === id));
      if (unknown.length > 0) {
        // bad input reverts nothing
        throw new FaultlineError('FL_ERR_FAULT_NOT_FOUND', `no active fault ${unknown.map((u) => `"${u}"`).join(', ')} (it may have expired or been reverted); list active faults with \`faultline faults\``, { context: { ids: unknown } });
      }
      const chosen = ids.length === 0 ? faults : faults.filter((f) => ids.includes(f.id));
      const results: { id: string; layer: string; outcome: 'reverted' | 'error'; detail: string }[] = [];
      for (const f of chosen) {
        try {
          results.push({ id: f.id, layer: f.layer, outcome: 'reverted', detail: await revertOne(f, c, ledger) });
        } catch (e) {
          results.push({ id: f.id, layer: f.layer, outcome: 'error', detail: (e as Error).message });
        }
      }
      c.print(results, () => (results.length === 0 ? 'no active faults' : results.map((r) => `${r.outcome} ${r.id} (${r.layer}): ${r.detail}`).join('\n')));
      if (results.some((r) => r.outcome === 'error')) process.exitCode = 5;
    });
};

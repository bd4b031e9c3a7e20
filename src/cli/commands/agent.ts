/** `faultline agent list|functions|faults|revert|errors` and `faultline inject <agent fault>` (in-process faults). */
import type { Command } from 'commander';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';
import { describeTarget, type FaultRequest, type FaultTarget } from '../../core/fault.js';
import { AgentClient } from '../../inject/agent/client.js';
import type { ErrorRecord } from '../../inject/agent/evidence.js';
import type { AgentFault, AgentFaultKindName, AgentFaultRequest } from '../../inject/agent/types.js';
import { liveServiceRecord } from '../../inject/process/index.js';
import type { CliContext, RegisterCommands } from '../context.js';

interface SelectOptions {
  pid?: string;
  agent?: string;
  service?: string;
}

export interface InjectOptions extends SelectOptions {
  module?: string;
  fn?: string;
  route?: string;
  probability?: string;
  ttl?: string;
  maxHits?: string;
  seed?: string;
  [param: string]: string | boolean | undefined;
}

export interface KindCli {
  kind: AgentFaultKindName;
  description: string;
  options: Array<{ flags: string; help: string; param: string; type: 'string' | 'number' | 'duration' | 'boolean' }>;
}

export const KIND_CLI: KindCli[] = [
  {
    kind: 'throw',
    description: 'make an instrumented function throw (async ones reject) — or, with --route, throw in the request handler tick',
    options: [
      { flags: '--message <text>', help: 'error message (default: "faultline: injected <class> (fault <id>)")', param: 'message', type: 'string' },
      { flags: '--error-class <name>', help: 'error class: Error, TypeError, RangeError… or any name, e.g. DatabaseError (default Error)', param: 'errorClass', type: 'string' },
      { flags: '--code <code>', help: 'err.code, e.g. ECONNREFUSED', param: 'code', type: 'string' },
    ],
  },
  { kind: 'null', description: 'make an instrumented function return null without running (async ones resolve to null)', options: [] },
  { kind: 'undefined', description: 'make an instrumented function return undefined without running (async ones resolve to undefined)', options: [] },
  {
    kind: 'delay',
    description: 'run an async function (or let the app see a --route request) --ms later; synchronous functions are refused (use block)',
    options: [
      { flags: '--ms <duration>', help: 'delay, e.g. 500 or 2s (required)', param: 'ms', type: 'duration' },
      { flags: '--promise', help: 'the function is not declared async but returns a promise', param: 'promise', type: 'boolean' },
    ],
  },
  {
    kind: 'block',
    description: 'block the event loop for --ms before the function runs (or before the app sees a --route request)',
    options: [
      { flags: '--ms <duration>', help: 'how long the event loop stays blocked, at most 60s (required)', param: 'ms', type: 'duration' },
      { flags: '--spin', help: 'burn CPU while blocked instead of sleeping', param: 'spin', type: 'boolean' },
    ],
  },
  {
    kind: 'corrupt',
    description: 'run the function, then corrupt its result: drop an object field, change a number, truncate a string or array',
    options: [
      { flags: '--field <path>', help: 'dot path of the object field to corrupt (default: one drawn at random)', param: 'field', type: 'string' },
      { flags: '--mode <mode>', help: 'drop (default) or mutate the field', param: 'mode', type: 'string' },
    ],
  },
  {
    kind: 'status',
    description: 'answer requests of --route with a status code without calling the app',
    options: [
      { flags: '--status <code>', help: 'HTTP status (default 503)', param: 'status', type: 'number' },
      { flags: '--body <text>', help: 'response body (default a JSON error)', param: 'body', type: 'string' },
    ],
  },
  { kind: 'abort', description: 'destroy the connection of requests of --route (the client sees a reset)', options: [] },
];

function parsePid(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--pid: "${raw}" is not a PID (a positive integer)`);
  return Number(raw);
}

function selector(c: CliContext, o: SelectOptions): { pid?: number; agent?: string; token?: string } {
  if ([o.pid, o.agent, o.service].filter((x) => x !== undefined).length > 1) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', '--service, --pid and --agent are exclusive; give one');
  let pid = parsePid(o.pid);
  if (o.service !== undefined) {
    const rec = liveServiceRecord(c.stateDir(), o.service);
    if (!rec) throw new FaultlineError('FL_ERR_SERVICE_NOT_FOUND', `--service: "${o.service}" is not running under faultline; start it with \`faultline up ${o.service}\` (with agent: true in faultline.yaml) or pass --pid`, { context: { service: o.service } });
    pid = rec.pid;
  }
  const token = process.env.FAULTLINE_AGENT_TOKEN;
  return { ...(pid === undefined ? {} : { pid }), ...(o.agent === undefined ? {} : { agent: o.agent }), ...(token ? { token } : {}) };
}

function connect(c: CliContext, o: SelectOptions): Promise<AgentClient> {
  return AgentClient.resolve(c.stateDir(), selector(c, o));
}

function withSelect(cmd: Command): Command {
  return cmd
    .option('--service <name>', 'the target service of faultline.yaml, started by `faultline up` with agent: true')
    .option('--pid <pid>', 'the target process (its agent is found in <stateDir>/agents)')
    .option('--agent <addr>', 'the agent control address, 127.0.0.1:PORT (default: the only running agent)');
}

function num(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${flag}: "${raw}" is not a number`);
  return n;
}

/** The request body for POST /v1/faults from the command line. */
export function buildFaultRequest(kind: KindCli, o: InjectOptions, defaultTtlMs: number): AgentFaultRequest {
  const params: Record<string, unknown> = {};
  for (const opt of kind.options) {
    const v = o[opt.param];
    if (v === undefined) continue;
    const flag = opt.flags.split(' ')[0] as string;
    params[opt.param] = opt.type === 'number' ? num(String(v), flag) : opt.type === 'duration' ? parseDurationMs(String(v), flag) : v;
  }
  if (o.route !== undefined && (o.fn !== undefined || o.module !== undefined)) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', '--route and --fn/--module are exclusive: a fault aims at a route or at functions');
  }
  if (o.route === undefined && o.fn === undefined) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--fn: ${kind.kind} needs --fn NAME (with --module GLOB) or --route "METHOD /path"; list targets with \`faultline agent functions\``);
  }
  const probability = num(o.probability, '--probability');
  const maxHits = num(o.maxHits, '--max-hits');
  const seed = num(o.seed, '--seed');
  return {
    kind: kind.kind,
    target: o.route !== undefined ? { route: o.route } : { fn: o.fn as string, ...(o.module === undefined ? {} : { module: o.module }) },
    ttlMs: o.ttl === undefined ? defaultTtlMs : parseDurationMs(o.ttl, '--ttl'),
    params,
    actor: 'cli',
    ...(probability === undefined ? {} : { probability }),
    ...(maxHits === undefined ? {} : { maxHits }),
    ...(seed === undefined ? {} : { seed }),
  };
}

const describeFault = (f: AgentFault): string =>
  `${f.id}  ${f.kind.padEnd(9)} ${describeTarget(f.target) || '-'}  p=${f.probability}${f.maxHits ? ` maxHits=${f.maxHits}` : ''}  hits ${f.hits}/${f.calls}  ${JSON.stringify(f.params)}  expires ${new Date(f.expiresAt).toISOString()}`;

const describeError = (e: ErrorRecord): string => {
  const top = e.frames.find((f) => f.app) ?? e.frames[0];
  const where = top ? `${top.file}:${top.line}:${top.column}${top.fn ? ` (${top.fn})` : ''}` : '(no frame)';
  return `#${e.seq} ${e.ts} ${e.source}${e.injected ? ' [injected]' : ''} ${e.class}: ${e.message}\n    at ${where}  faults ${e.faultIds.join(',') || '-'}`;
};

function injectCommand(parent: Command, ctx: () => CliContext, k: KindCli): void {
  if (parent.commands.some((c) => c.name() === k.kind)) return;
  const cmd = withSelect(parent.command(k.kind).description(`${k.description} (in-process agent)`))
    .option('--module <glob>', 'module path suffix or glob, e.g. lib/price.mjs or src/**/*.mjs (default: any module)')
    .option('--fn <name>', 'exported function: fetchPrice, Cart.prototype.add, or a * pattern')
    .option('--route <route>', 'HTTP route instead of a function: "GET /items/*" or "/items/*"')
    .option('--probability <p>', 'chance per call, 0..1 (default 1)')
    .option('--ttl <duration>', 'time-to-live, enforced inside the target (default: defaults.ttlMs of faultline.yaml)')
    .option('--max-hits <n>', 'end the fault after it was applied n times')
    .option('--seed <n>', 'seed of the per-call draws (default: drawn by the agent, reported)');
  for (const opt of k.options) cmd.option(opt.flags, opt.help);
  cmd.action(async (o: InjectOptions) => {
    const c = ctx();
    const body = buildFaultRequest(k, o, c.config().defaults.ttlMs);
    const client = await connect(c, o);
    const pid = (await client.info()).pid;
    const target: FaultTarget = { ...(o.service !== undefined ? { service: o.service } : {}), pid, ...body.target };
    const req: FaultRequest = { kind: k.kind, layer: 'agent', target, params: body.params ?? {}, ttlMs: body.ttlMs, actor: 'cli' };
    const base = { kind: k.kind, layer: 'agent' as const, target: describeTarget(target), params: req.params, actor: 'cli', ttlMs: body.ttlMs };
    try {
      c.guard().admit(req, (await client.faults()).faults);
    } catch (e) {
      c.ledger().record({ ...base, action: 'refuse', faultId: '-', outcome: 'refused', detail: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    let fault: AgentFault;
    try {
      fault = await client.inject(body);
    } catch (e) {
      if (isFaultlineError(e)) c.ledger().record({ ...base, action: 'inject', faultId: '-', outcome: 'error', detail: e.message });
      throw e;
    }
    c.ledger().record({ ...base, action: 'inject', faultId: fault.id, outcome: 'ok' });
    c.print(fault, () => `injected ${describeFault(fault)}\n  matched ${fault.matched.length ? fault.matched.join(', ') : fault.target.route ?? '-'}\n  seed ${fault.seed}; revert early with \`faultline agent revert --pid ${pid} --id ${fault.id}\``);
  });
}

export const register: RegisterCommands = (program, ctx) => {
  const inject = program.commands.find((c) => c.name() === 'inject') ?? program.command('inject').description('inject one fault now, with a time-to-live');
  for (const k of KIND_CLI) injectCommand(inject, ctx, k);

  const agent = program.command('agent').description('the in-process agent of Node targets started with `node --import faultline/agent`');
  agent
    .command('list')
    .description('list the agents announced in <stateDir>/agents (stale files of dead processes are removed)')
    .action(async () => {
      const c = ctx();
      const agents = await AgentClient.list(c.stateDir());
      c.print(agents, () =>
        agents.length === 0
          ? 'no agent is running (start the target with `node --import faultline/agent`)'
          : agents
              .map((a) => `pid ${a.pid}  127.0.0.1:${a.port}  ${a.reachable ? `${a.info?.functions ?? 0} functions, ${a.info?.faults ?? 0} faults, ${a.info?.errors.recorded ?? 0} errors` : 'NOT ANSWERING'}  ${a.argv.join(' ')}`)
              .join('\n'),
      );
    });
  withSelect(agent.command('functions').description('list the instrumented modules and functions (the targets of --fn / --module)')).action(async (o: SelectOptions) => {
    const c = ctx();
    const r = await (await connect(c, o)).functions();
    c.print(r, () =>
      [
        ...r.functions.map((f) => `${f.module}  ${f.names.join(' | ')}${f.async ? '  (async)' : ''}  [${f.format}]`),
        ...r.skipped.map((s) => `${s.module}  SKIPPED: ${s.reason}`),
      ].join('\n') || 'no instrumented function yet',
    );
  });
  withSelect(agent.command('faults').description('list the active faults of an agent, and the last ended ones')).action(async (o: SelectOptions) => {
    const c = ctx();
    const r = await (await connect(c, o)).faults();
    c.print(r, () => [...r.faults.map(describeFault), ...r.ended.map((e) => `${e.id}  ${e.kind.padEnd(9)} ended (${e.reason}) at ${new Date(e.endedAt).toISOString()} after ${e.hits} hits`)].join('\n') || 'no fault');
  });
  withSelect(agent.command('revert').description('revert one fault (--id) or every fault of an agent'))
    .option('--id <id>', 'the fault to revert (default: all)')
    .action(async (o: SelectOptions & { id?: string }) => {
      const c = ctx();
      const client = await connect(c, o);
      const reverted = o.id !== undefined ? [await client.revert(o.id)] : await client.revertAll();
      for (const f of reverted) {
        c.ledger().record({ action: 'revert', faultId: f.id, kind: f.kind, layer: 'agent', target: describeTarget(f.target), params: f.params, actor: 'cli', outcome: 'ok' });
      }
      c.print({ reverted }, () => (reverted.length === 0 ? 'no active fault' : reverted.map((f) => `reverted ${f.id} (${f.kind}, ${f.hits} hits)`).join('\n')));
    });
  withSelect(agent.command('errors').description('show the errors the target raised while faults were active, with stack frames'))
    .option('--fault <id>', 'only errors seen while this fault was active')
    .option('--since <seq>', 'only errors after this sequence number')
    .option('-n, --limit <n>', 'only the last n errors')
    .action(async (o: SelectOptions & { fault?: string; since?: string; limit?: string }) => {
      const c = ctx();
      const since = num(o.since, '--since');
      const limit = num(o.limit, '--limit');
      const r = await (await connect(c, o)).errors({ ...(o.fault === undefined ? {} : { faultId: o.fault }), ...(since === undefined ? {} : { since }), ...(limit === undefined ? {} : { limit }) });
      c.print(r, () => (r.errors.length === 0 ? 'no error recorded' : r.errors.map(describeError).join('\n')) + (r.dropped ? `\n(${r.dropped} older errors dropped)` : ''));
    });
};


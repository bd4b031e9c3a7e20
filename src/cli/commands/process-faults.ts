/** `faultline inject <process fault>`, `faultline revert`, `faultline faults`. */
import type { Command } from 'commander';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError } from '../../core/errors.js';
import type { FaultRequest, FaultTarget } from '../../core/fault.js';
import type { CliContext, RegisterCommands } from '../context.js';
import { holdUntilExpiry, injectProcessFault, Supervisor, type ActiveProcessFault } from '../../inject/process/index.js';

interface CommonOptions {
  service?: string;
  pid?: string;
  ttl?: string;
  wait?: boolean;
}

/** CLI options per fault; each option's commander key is the fault param of the same name. */
interface FaultCli {
  kind: string;
  description: string;
  options: Array<{ flags: string; help: string; param: string }>;
}

const FAULTS: FaultCli[] = [
  {
    kind: 'kill',
    description: 'send a signal to the target (default SIGKILL); not reverted, but --restart starts a supervised service again at the TTL',
    options: [
      { flags: '--signal <name>', help: 'signal name, e.g. SIGTERM, SIGINT, SIGUSR1 (default SIGKILL)', param: 'signal' },
      { flags: '--restart', help: 'start the service again when the TTL ends (--service only)', param: 'restart' },
    ],
  },
  { kind: 'pause', description: 'freeze the target with SIGSTOP (a service: its whole process group); SIGCONT at the TTL', options: [] },
  {
    kind: 'cpu',
    description: 'burn CPU until the TTL with stress-ng, or node worker threads when stress-ng is missing (--service/--pid only label the fault)',
    options: [
      { flags: '--workers <n>', help: 'busy workers (default 1)', param: 'workers' },
      { flags: '--load <percent>', help: 'load per worker, 1-100 (default 100)', param: 'load' },
      { flags: '--tool <tool>', help: 'auto | stress-ng | node (default auto)', param: 'tool' },
    ],
  },
  {
    kind: 'memory',
    description: 'hold resident memory in a helper process until the TTL (--service/--pid only label the fault)',
    options: [{ flags: '--bytes <size>', help: 'amount, e.g. 256MiB, 1G (required)', param: 'bytes' }],
  },
  {
    kind: 'disk',
    description: 'fill a directory with one file of the given size; removed at the TTL',
    options: [
      { flags: '--dir <path>', help: 'directory to fill (default: the system temp dir)', param: 'dir' },
      { flags: '--size <size>', help: 'file size, e.g. 512MiB, 2G (required)', param: 'size' },
    ],
  },
  {
    kind: 'timeskew',
    description: 'restart a supervised service with its wall clock shifted (libfaketime); restarted without at the TTL',
    options: [{ flags: '--offset <offset>', help: 'signed offset, e.g. +2h, -30m, +1d (required)', param: 'offset' }],
  },
  {
    kind: 'clockdrift',
    description: 'restart a supervised service with its wall clock running at a rate (libfaketime); restarted without at the TTL',
    options: [
      { flags: '--rate <factor>', help: 'clock speed, e.g. 1.5 (faster) or 0.5 (slower) (required)', param: 'rate' },
      { flags: '--offset <offset>', help: 'start offset, e.g. +0, +1h (default +0)', param: 'offset' },
    ],
  },
  { kind: 'dependency', description: 'stop a supervised service others depend on (a database, a cache); started again at the TTL', options: [] },
  {
    kind: 'envdrift',
    description: 'restart a supervised service with environment variables set or removed (configuration drift); restarted with its own environment at the TTL',
    options: [
      { flags: '--set <NAME=value...>', help: 'variables to set, e.g. --set LOG_LEVEL=debug POOL_SIZE=1 (FAULTLINE_* refused)', param: 'set' },
      { flags: '--unset <NAME...>', help: 'variables to remove, e.g. --unset CACHE_URL', param: 'unset' },
    ],
  },
  {
    kind: 'hidebinary',
    description: 'restart a supervised service with executables hidden from its PATH (a missing binary: spawning it fails with ENOENT); restarted with its own PATH at the TTL',
    options: [{ flags: '--names <name...>', help: 'executables to hide, e.g. --names ffmpeg git (required; a call by absolute path still finds them)', param: 'names' }],
  },
  {
    kind: 'breakmodule',
    description: 'restart a service that runs the agent (agent: true) so that importing or requiring the matching modules throws a SyntaxError; restarted without at the TTL',
    options: [{ flags: '--modules <patterns>', help: 'comma-separated module patterns as in FAULTLINE_AGENT_INCLUDE, e.g. lib/report.js or src/**/pdf-*.js (required)', param: 'modules' }],
  },
  {
    kind: 'corruptfile',
    description: "corrupt a supervised service's data file on disk (a torn line, a truncated record, bytes overwritten) and restart it; the original bytes are restored and the service restarted at the TTL",
    options: [
      { flags: '--path <file>', help: "the file, relative to the service's cwd or absolute; inside its cwd or the state folder (required)", param: 'path' },
      { flags: '--mode <mode>', help: 'append (a torn line, default), truncate (last line cut in half) or garbage (bytes overwritten in the middle)', param: 'mode' },
      { flags: '--text <line>', help: 'the appended line (mode append)', param: 'text' },
      { flags: '--bytes <n>', help: 'bytes mode garbage overwrites (default 8)', param: 'bytes' },
      { flags: '--no-restart', help: 'corrupt the file under the running service without restarting it', param: 'restart' },
    ],
  },
];

function target(o: CommonOptions): FaultTarget {
  if (o.service !== undefined && o.pid !== undefined) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', '--service and --pid are exclusive; give one');
  if (o.pid !== undefined) {
    if (!/^\d+$/.test(o.pid)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--pid: "${o.pid}" is not a PID (a positive integer)`);
    return { pid: Number(o.pid) };
  }
  return o.service !== undefined ? { service: o.service } : {};
}

const describeFault = (f: ActiveProcessFault): string =>
  `${f.id}  ${f.kind.padEnd(10)} ${Object.entries(f.target).map(([k, v]) => `${k}=${String(v)}`).join(',') || '-'}  ${JSON.stringify(f.params)}  expires ${new Date(f.expiresAt).toISOString()}${f.overdue ? '  OVERDUE (guard gone; run `faultline revert`)' : ''}`;


function injectCommand(parent: Command, ctx: () => CliContext, f: FaultCli): void {
  const cmd = parent
    .command(f.kind)
    .description(f.description)
    .option('--service <name>', 'target service of faultline.yaml')
    .option('--pid <pid>', 'target process ID')
    .option('--ttl <duration>', 'time-to-live, e.g. 30s, 2m (default: defaults.ttl of faultline.yaml)')
    .option('--wait', 'stay in the foreground until the TTL ends; Ctrl-C (SIGINT) or SIGTERM reverts the fault');
  for (const opt of f.options) cmd.option(opt.flags, opt.help);
  cmd.action(async (o: CommonOptions & Record<string, unknown>) => {
    const c = ctx();
    const config = c.config();
    const params: Record<string, unknown> = {};
    for (const opt of f.options) if (o[opt.param] !== undefined) params[opt.param] = o[opt.param];
    const req: FaultRequest = {
      kind: f.kind,
      layer: 'process',
      target: target(o),
      params,
      ttlMs: o.ttl !== undefined ? parseDurationMs(o.ttl, '--ttl') : config.defaults.ttlMs,
      actor: 'cli',
    };
    const stateDir = c.stateDir();
    const ledger = c.ledger();
    const services = new Supervisor({ services: config.services, stateDir, ledger, actor: 'cli' });
    const fault = await injectProcessFault(req, { stateDir, ledger, guard: c.guard(), services });
    // with --wait, SIGINT/SIGTERM handlers are in place before the fault is reported
    const held = o.wait ? holdUntilExpiry([fault], { stateDir, ledger, actor: 'cli' }) : undefined;
    c.print(fault, () => `injected ${describeFault(fault)}\n  ${JSON.stringify(fault.detail)}\n  revert early with \`faultline revert ${fault.id}\``);
    if (held) {
      const how = await held;
      c.progress(how === 'expired' ? `${fault.id} expired` : `${fault.id} reverted (interrupted)`);
      if (how === 'interrupted') process.exitCode = 130;
    }
  });
}

export const register: RegisterCommands = (program, ctx) => {
  // other layers add their own `inject` subcommands to the same parent
  const inject = program.commands.find((c) => c.name() === 'inject') ?? program.command('inject').description('inject one fault now, with a time-to-live');
  for (const f of FAULTS) injectCommand(inject, ctx, f);
};

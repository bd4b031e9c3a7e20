import { join } from 'node:path';
import type { Command } from 'commander';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';
import type { ActiveFault } from '../../core/fault.js';
import {
  applyNetworkFault,
  createNamespace,
  destroyNamespace,
  detectNetCapabilities,
  listNamespaces,
  listRecords,
  revertNetworkFault,
  runInNamespace,
  type NetCapability,
  type NetworkFaultKind,
} from '../../inject/netem/index.js';
import { netnsDir } from '../../inject/netem/state.js';
import type { CliContext, RegisterCommands } from '../context.js';

function faultLine(f: ActiveFault): string {
  return `${f.id}  ${f.kind} ${JSON.stringify(f.params)} until ${new Date(f.expiresAt).toISOString()}`;
}

interface InjectOpts {
  netns: string;
  ttl?: string;
  direction?: string;
  backend?: 'nft' | 'iptables';
  percent?: string;
  port?: string;
  protocol?: string;
  rate?: string;
  burst?: string;
  latency?: string;
  peer?: string;
  delay?: string;
  jitter?: string;
}

async function inject(c: CliContext, kind: NetworkFaultKind, o: InjectOpts): Promise<void> {
  const ttlMs = o.ttl === undefined ? c.config().defaults.ttlMs : parseDurationMs(o.ttl, '--ttl');
  const params: Record<string, unknown> = {};
  for (const k of ['direction', 'percent', 'port', 'protocol', 'rate', 'burst', 'latency', 'peer', 'delay', 'jitter'] as const) {
    if (o[k] !== undefined) params[k] = o[k];
  }
  c.progress(`applying ${kind} in ${o.netns}…`);
  const fault = await applyNetworkFault(o.netns, { kind, params, ttlMs, actor: 'cli', ...(o.backend ? { backend: o.backend } : {}) }, {
    stateDir: c.stateDir(),
    guard: c.guard(),
    ledger: c.ledger(),
  });
  c.print(fault, () => `${faultLine(fault)}\nrevert early with \`faultline netns revert ${fault.id}\``);
}

function injectCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption('--netns <name>', 'faultline namespace holding the target (see `faultline netns list`)')
    .option('--ttl <duration>', 'time-to-live, e.g. 30s (default: defaults.ttlMs of faultline.yaml); enforced by the kernel and a detached guard');
}

export const register: RegisterCommands = (program, ctx) => {
  const netns = program.command('netns').description('L3 faults: run a target in its own network namespace (needs root; see docs/reference/network-faults.md)');

  netns
    .command('caps')
    .description('report what this machine allows: root, ip, nft, iptables, tc, netem, netns, with reasons')
    .action(async () => {
      const c = ctx();
      const caps = await detectNetCapabilities();
      c.print(caps, () =>
        (Object.keys(caps) as NetCapability[]).map((k) => `${caps[k].ok ? 'yes' : 'no '}  ${k.padEnd(8)} ${caps[k].detail}`).join('\n'),
      );
    });

  netns
    .command('up')
    .description('create namespace fl-<id> with a veth pair on a 169.254.x.y/30 and run the target inside; prints hostAddr/nsAddr (the target is reached at nsAddr)')
    .argument('[command...]', 'target command, after --, e.g. `faultline netns up -- node server.js`')
    .option('--name <id>', 'namespace id (1-10 lowercase letters/digits); the namespace is fl-<id>')
    .option('--detach', 'start the target in the background (log in <stateDir>/netns/<name>.log) and return; stop it with `faultline netns down`')
    .action(async (command: string[], o: { name?: string; detach?: boolean }) => {
      const c = ctx();
      const stateDir = c.stateDir();
      const ns = await createNamespace({ stateDir, ...(o.name ? { name: o.name } : {}) });
      const shown = { name: ns.name, hostAddr: ns.hostAddr, nsAddr: ns.nsAddr, hostIf: ns.hostIf, nsIf: ns.nsIf, subnet: ns.subnet };
      const human = `namespace ${ns.name}: target at ${ns.nsAddr}, host end ${ns.hostAddr} (${ns.subnet}, veth ${ns.hostIf} <-> ${ns.nsIf})`;
      if (command.length === 0) {
        c.print(shown, `${human}\nrun a target with \`ip netns exec ${ns.name} CMD\`; remove it with \`faultline netns down ${ns.name}\``);
        return;
      }
      if (o.detach) {
        const logFile = join(netnsDir(stateDir), `${ns.name}.log`);
        const p = await runInNamespace(ns, command, { stateDir, detached: true, logFile });
        c.print({ ...shown, pid: p.pid, logFile }, `${human}\ntarget pid ${p.pid}, log ${logFile}`);
        return;
      }
      const p = await runInNamespace(ns, command, { stateDir, stdio: 'inherit' });
      c.print({ ...shown, pid: p.pid }, `${human}\ntarget pid ${p.pid}; Ctrl-C stops it and removes the namespace`);
      let signalled: NodeJS.Signals | undefined;
      const onSignal = (s: NodeJS.Signals): void => {
        signalled = s;
        void p.stop();
      };
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      const exit = await p.exited;
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      try {
        await destroyNamespace(ns.name, { stateDir, ledger: c.ledger(), actor: 'cli' });
      } catch (e) {
        // `faultline netns down` may have removed it already
        if (!isFaultlineError(e, 'FL_ERR_NETNS_NOT_FOUND')) throw e;
      }
      process.exitCode = signalled === 'SIGINT' ? 130 : signalled === 'SIGTERM' ? 143 : (exit.code ?? 1);
    });

  netns
    .command('down')
    .description('stop the processes inside, delete the namespace and its veth, revert its faults (only namespaces faultline recorded)')
    .argument('[name]', 'namespace name (fl-<id> or <id>)')
    .option('--all', 'every namespace recorded in the state dir (cleanup after a crash)')
    .action(async (name: string | undefined, o: { all?: boolean }) => {
      const c = ctx();
      const stateDir = c.stateDir();
      if (name === undefined && !o.all) {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'name: give a namespace name or --all (see `faultline netns list`)');
      }
      const names = o.all ? listRecords(stateDir).map((r) => r.name) : [name as string];
      const results: Awaited<ReturnType<typeof destroyNamespace>>[] = [];
      for (const n of names) results.push(await destroyNamespace(n, { stateDir, ledger: c.ledger(), actor: 'cli' }));
      c.print(results, () =>
        results.length === 0
          ? 'no faultline namespaces recorded'
          : results.map((r) => `removed ${r.name} (killed ${r.killedPids.length} process(es), reverted ${r.revertedFaults.length} fault(s))`).join('\n'),
      );
    });

  netns
    .command('list')
    .description('namespaces recorded in the state dir, with addresses, running processes and active faults')
    .action(async () => {
      const c = ctx();
      const list = await listNamespaces(c.stateDir());
      c.print(list, () =>
        list.length === 0
          ? 'no faultline namespaces'
          : list
              .map((n) =>
                [
                  `${n.name}  ${n.present ? 'up' : 'MISSING (run `faultline netns down --all`)'}  target ${n.nsAddr}  host ${n.hostAddr}  pids ${n.runningPids.join(',') || '-'}`,
                  ...n.activeFaults.map((f) => `  ${faultLine(f)}`),
                ].join('\n'),
              )
              .join('\n'),
      );
    });

  netns
    .command('revert')
    .description('remove one network fault now (before its TTL)')
    .argument('<faultId>', 'id printed by `faultline inject …` or `faultline netns list`')
    .action(async (faultId: string) => {
      const c = ctx();
      const r = await revertNetworkFault(faultId, { stateDir: c.stateDir(), ledger: c.ledger(), actor: 'cli' });
      c.print(r, `reverted ${faultId} (${r.fault.kind}, removed ${r.removed} artifact(s))`);
    });

  const injectCmd = program.commands.find((cmd) => cmd.name() === 'inject') ?? program.command('inject').description('inject one fault now, with a TTL');
  const backendOpt = (cmd: Command): Command => cmd.option('--backend <nft|iptables>', 'packet filter to use (default nft, iptables when nft is missing)');

  backendOpt(
    injectCommand(injectCmd, 'loss', 'drop a percentage of the target’s packets (nftables numgen random; iptables statistic fallback)')
      .requiredOption('--percent <n>', 'drop probability in percent, (0, 100], steps of 0.01')
      .option('--direction <in|out|both>', 'in = to the target, out = from it (default both, each drawn independently)')
      .option('--protocol <all|tcp|udp>', 'only this protocol (default all)'),
  ).action(async (o: InjectOpts) => inject(ctx(), 'loss', o));

  backendOpt(
    injectCommand(injectCmd, 'reset', 'answer TCP with a reset: new connections fail with ECONNREFUSED, established ones with ECONNRESET')
      .option('--port <port>', 'only this TCP destination port (default every port)')
      .option('--percent <n>', 'probability per packet in percent (default 100)')
      .option('--direction <in|out>', 'in = connections to the target (default), out = connections the target makes'),
  ).action(async (o: InjectOpts) => inject(ctx(), 'reset', o));

  injectCommand(injectCmd, 'bandwidth', 'cap the target’s throughput with a tc token bucket (tbf) on its veth')
    .requiredOption('--rate <rate>', 'tc rate: 1mbit, 500kbit, 100kbps (kilobytes/s)')
    .option('--burst <size>', 'bucket size, e.g. 32KiB (default max(16KiB, 20 ms of rate))')
    .option('--latency <duration>', 'max time a packet may wait in the queue before it is dropped (default 100ms)')
    .option('--direction <in|out|both>', 'in = to the target, out = from it (default both)')
    .action(async (o: InjectOpts) => inject(ctx(), 'bandwidth', o));

  backendOpt(
    injectCommand(injectCmd, 'partition', 'drop every packet between the target and a peer (or everything on its veth)')
      .option('--peer <address>', 'only this peer address (default all traffic of the target’s veth)')
      .option('--direction <in|out|both>', 'in = to the target, out = from it (default both)'),
  ).action(async (o: InjectOpts) => inject(ctx(), 'partition', o));

  injectCommand(injectCmd, 'netdelay', 'add latency with tc netem (only where the kernel has sch_netem; else use `faultline proxy` latency toxics)')
    .requiredOption('--delay <duration>', 'added latency, e.g. 100ms')
    .option('--jitter <duration>', 'random variation, e.g. 20ms (default 0)')
    .option('--direction <in|out|both>', 'in = to the target, out = from it (default out)')
    .action(async (o: InjectOpts) => inject(ctx(), 'delay', o));

  injectCommand(injectCmd, 'netcorrupt', 'corrupt a percentage of packets with tc netem (only where the kernel has sch_netem)')
    .requiredOption('--percent <n>', 'corruption probability in percent')
    .option('--direction <in|out|both>', 'in = to the target, out = from it (default out)')
    .action(async (o: InjectOpts) => inject(ctx(), 'corrupt', o));
};

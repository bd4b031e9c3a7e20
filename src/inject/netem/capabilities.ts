import { FaultlineError } from '../../core/errors.js';
import { systemRunner, type CommandRunner } from './exec.js';

export type NetCapability = 'root' | 'ip' | 'nft' | 'iptables' | 'tc' | 'netem' | 'netns';
export interface CapabilityStatus {
  ok: boolean;
  /** why it is (not) available, e.g. "tc qdisc add … netem: Specified qdisc kind is unknown" */
  detail: string;
}
export type NetCapabilities = Record<NetCapability, CapabilityStatus>;

export const NETEM_UNAVAILABLE_MESSAGE =
  'this kernel has no sch_netem (tc qdisc netem is unknown), so L3 delay and corruption cannot be applied; use `faultline proxy` latency/slicer toxics as the fallback';

let probeSeq = 0;
let cached: Promise<NetCapabilities> | undefined;

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

async function probeTool(runner: CommandRunner, cmd: string, args: string[]): Promise<CapabilityStatus> {
  const r = await runner.run(cmd, args);
  if (r.code === 127) return { ok: false, detail: `${cmd} is not installed (Debian: ${cmd === 'nft' ? 'nftables' : cmd === 'ip' || cmd === 'tc' ? 'iproute2' : cmd})` };
  if (r.code !== 0) return { ok: false, detail: `${cmd} ${args.join(' ')}: ${firstLine(r.stderr || r.stdout)}` };
  return { ok: true, detail: firstLine(r.stdout || r.stderr) };
}

/**
 * Probes what this machine allows for L3 faults. netns, nft, iptables and netem are probed for real inside a
 * throwaway namespace `fl-probe-*` created and deleted here (netem: a netem qdisc is added to that namespace's
 * loopback and removed). The result is cached per process; pass `fresh` to probe again.
 */
export function detectNetCapabilities(options: { runner?: CommandRunner; fresh?: boolean } = {}): Promise<NetCapabilities> {
  const runner = options.runner ?? systemRunner;
  if (options.runner !== undefined) return probe(runner);
  if (cached === undefined || options.fresh) cached = probe(runner);
  return cached;
}

async function probe(runner: CommandRunner): Promise<NetCapabilities> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const root: CapabilityStatus = isRoot ? { ok: true, detail: 'running as uid 0' } : { ok: false, detail: `running as uid ${process.getuid?.() ?? 'unknown'}; namespaces, packet filters and qdiscs need root` };
  const [ip, nftTool, iptTool, tc] = await Promise.all([
    probeTool(runner, 'ip', ['-V']),
    probeTool(runner, 'nft', ['--version']),
    probeTool(runner, 'iptables', ['--version']),
    probeTool(runner, 'tc', ['-V']),
  ]);
  const caps: NetCapabilities = {
    root,
    ip,
    nft: nftTool,
    iptables: iptTool,
    tc,
    netem: { ok: false, detail: 'not probed: needs a network namespace and tc' },
    netns: { ok: false, detail: 'not probed: needs root and ip' },
  };
  if (!root.ok || !ip.ok) {
    if (!root.ok) caps.netns = { ok: false, detail: 'needs root' };
    for (const k of ['nft', 'iptables'] as const) if (caps[k].ok) caps[k] = { ok: false, detail: `${caps[k].detail}; unusable without root` };
    return caps;
  }
  probeSeq += 1;
  const ns = `fl-probe-${process.pid.toString(36)}-${probeSeq.toString(36)}`;
  const add = await runner.run('ip', ['netns', 'add', ns]);
  if (add.code !== 0) {
    caps.netns = { ok: false, detail: `ip netns add: ${firstLine(add.stderr)}` };
    return caps;
  }
  try {
    caps.netns = { ok: true, detail: 'ip netns add/exec/del work' };
    if (nftTool.ok) {
      const r = await runner.run('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables']);
      caps.nft = r.code === 0 ? { ok: true, detail: nftTool.detail } : { ok: false, detail: `nft list tables in a namespace: ${firstLine(r.stderr)}` };
    }
    if (iptTool.ok) {
      const r = await runner.run('ip', ['netns', 'exec', ns, 'iptables', '-w', '-S']);
      caps.iptables = r.code === 0 ? { ok: true, detail: iptTool.detail } : { ok: false, detail: `iptables -S in a namespace: ${firstLine(r.stderr)}` };
    }
    if (tc.ok) {
      const r = await runner.run('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
      if (r.code === 0) {
        await runner.run('tc', ['-n', ns, 'qdisc', 'del', 'dev', 'lo', 'root']);
        caps.netem = { ok: true, detail: 'tc qdisc netem works' };
      } else {
        caps.netem = { ok: false, detail: `${NETEM_UNAVAILABLE_MESSAGE} (tc: ${firstLine(r.stderr)})` };
      }
    } else {
      caps.netem = { ok: false, detail: 'tc is not available' };
    }
  } finally {
    await runner.run('ip', ['netns', 'del', ns]);
  }
  return caps;
}

/** The capabilities missing from `caps` among `all`, plus a note when none of each `anyOf` group is present. */
export function missingCapabilities(caps: NetCapabilities, all: readonly NetCapability[], anyOf: readonly (readonly NetCapability[])[] = []): string[] {
  const out = all.filter((c) => !caps[c].ok).map((c) => `${c}: ${caps[c].detail}`);
  for (const group of anyOf) {
    if (!group.some((c) => caps[c].ok)) out.push(`one of ${group.join('/')}: ${group.map((c) => caps[c].detail).join('; ')}`);
  }
  return out;
}

/** Throws FL_ERR_NETNS_UNAVAILABLE naming what is missing (FL_ERR_NETEM_UNAVAILABLE when only netem is). */
export function requireCapabilities(caps: NetCapabilities, what: string, all: readonly NetCapability[], anyOf: readonly (readonly NetCapability[])[] = []): void {
  const base = all.filter((c) => c !== 'netem');
  const missing = missingCapabilities(caps, base, anyOf);
  if (missing.length > 0) {
    throw new FaultlineError('FL_ERR_NETNS_UNAVAILABLE', `${what} cannot run here; missing ${missing.join('; ')}. Run as root on Linux with iproute2 and nftables (or iptables); \`faultline netns caps\` shows the full report`, {
      context: { missing },
    });
  }
  if (all.includes('netem') && !caps.netem.ok) {
    throw new FaultlineError('FL_ERR_NETEM_UNAVAILABLE', `${what}: ${caps.netem.detail.startsWith('this kernel') ? caps.netem.detail : `${NETEM_UNAVAILABLE_MESSAGE} (${caps.netem.detail})`}`, {
      context: { netem: caps.netem.detail },
    });
  }
}

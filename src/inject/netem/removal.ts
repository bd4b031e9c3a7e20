import { assertNever } from '../../core/errors.js';
import type { CommandRunner } from './exec.js';
import type { FaultArtifact } from './state.js';

const GONE = /no such file|does not exist|cannot find device|cannot open network namespace|no chain\/target\/match|bad rule|not found/i;

/**
 * Deletes what a fault created, idempotently: things already gone (expired, namespace deleted) count as removed.
 * Only artifacts named in the record are touched: our table, our chains and jumps, a root qdisc with our handle.
 */
export async function removeArtifacts(
  runner: CommandRunner,
  ns: { name: string },
  artifacts: readonly FaultArtifact[],
): Promise<{ removed: number; errors: string[] }> {
  let removed = 0;
  const errors: string[] = [];
  const check = (what: string, r: { code: number; stderr: string }): boolean => {
    if (r.code === 0) return true;
    if (!GONE.test(r.stderr)) errors.push(`${what}: ${r.stderr.trim()}`);
    return false;
  };
  for (const a of artifacts) {
    switch (a.type) {
      case 'nft-table': {
        const r = await runner.run('ip', ['netns', 'exec', ns.name, 'nft', 'delete', 'table', a.family, a.table]);
        if (check(`nft delete table ${a.family} ${a.table}`, r)) removed += 1;
        break;
      }
      case 'iptables-chain': {
        for (const j of a.jumps) {
          check(`iptables -D ${j.chain}`, await runner.run('ip', ['netns', 'exec', ns.name, 'iptables', '-w', '-D', j.chain, ...j.args]));
        }
        check(`iptables -F ${a.chain}`, await runner.run('ip', ['netns', 'exec', ns.name, 'iptables', '-w', '-F', a.chain]));
        if (check(`iptables -X ${a.chain}`, await runner.run('ip', ['netns', 'exec', ns.name, 'iptables', '-w', '-X', a.chain]))) removed += 1;
        break;
      }
      case 'qdisc': {
        const nsArgs = a.side === 'ns' ? ['-n', ns.name] : [];
        const show = await runner.run('tc', [...nsArgs, 'qdisc', 'show', 'dev', a.dev, 'root']);
        if (!check(`tc qdisc show dev ${a.dev}`, show)) break;
        // only delete the root qdisc when it is still the one we added
        if (!new RegExp(`^qdisc \\S+ ${a.handle.replace(':', '\\:')} root`, 'm').test(show.stdout)) break;
        if (check(`tc qdisc del dev ${a.dev} root`, await runner.run('tc', [...nsArgs, 'qdisc', 'del', 'dev', a.dev, 'root']))) removed += 1;
        break;
      }
      default:
        assertNever(a, 'fault artifact');
    }
  }
  return { removed, errors };
}

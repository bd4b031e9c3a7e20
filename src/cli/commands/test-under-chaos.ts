/**
 * `faultline test -- <command…>`: the project's test suite, clean and then under faults; reports the tests
 * and code paths that fail or hang only under faults (exit 1 when there are any).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultlineConfig } from '../../core/config-types.js';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError } from '../../core/errors.js';
import { newFaultId, type ActiveFault, type InjectionGuard, type LedgerSink } from '../../core/fault.js';
import type { FaultDriver } from '../../core/run.js';
import { createRng } from '../../core/rng.js';
import { defaultChaosFaults, parseChaosFault, renderTestUnderChaos, runTestsUnderChaos, seedFaults } from '../../experiment/under-chaos/index.js';
import { agentImportPath } from '../../inject/process/index.js';
import { ProxyApiClient, ProxyRegistry } from '../../inject/proxy/index.js';
import type { ToxicJson, ToxicSpec } from '../../inject/proxy/types.js';
import type { RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';

interface Options {
  fault: string[];
  together?: boolean;
  each?: boolean;
  timeout: string;
  junit?: string;
  reportDir?: string;
  seed?: string;
  include?: string;
}

/** Toxics on the proxy links: through the proxy API when one is running (`faultline up`), else on links this process opens. */
async function proxyDriver(config: FaultlineConfig, guard: InjectionGuard, ledger: LedgerSink, seed: number): Promise<FaultDriver & { close(): Promise<void> }> {
  const api = new ProxyApiClient(`http://${config.proxy.listen}`, { timeoutMs: 1000, ...(process.env.FAULTLINE_PROXY_TOKEN ? { token: process.env.FAULTLINE_PROXY_TOKEN } : {}) });
  let add: (proxy: string, spec: ToxicSpec) => Promise<ToxicJson>;
  let remove: (proxy: string, toxic: string) => Promise<void>;
  let close = async (): Promise<void> => undefined;
  const running = await api.version().then(
    () => true,
    () => false,
  );
  if (running) {
    add = (p, s) => api.addToxic(p, s);
    remove = (p, t) => api.removeToxic(p, t);
  } else {
    const registry = new ProxyRegistry({ guard, ledger, actor: 'faultline test', seed });
    for (const l of config.proxy.proxies) await registry.createProxy({ name: l.name, listen: l.listen, upstream: l.upstream });
    add = async (p, s) => registry.addToxic(p, s);
    remove = async (p, t) => registry.removeToxic(p, t);
    close = () => registry.close();
  }
  const active = new Map<string, ActiveFault>();
  const driver: FaultDriver & { close(): Promise<void> } = {
    async inject(req) {
      const proxy = String(req.target.proxy);
      const { stream, toxicity, ...attributes } = req.params as { stream?: 'upstream' | 'downstream'; toxicity?: number } & Record<string, unknown>;
      const t = await add(proxy, { type: req.kind, attributes, ttl: req.ttlMs, ...(stream ? { stream } : {}), ...(typeof toxicity === 'number' ? { toxicity } : {}) });
      const now = Date.now();
      const f: ActiveFault = { ...req, id: `${proxy}/${t.name}`, startedAt: now, expiresAt: now + req.ttlMs };
      active.set(f.id, f);
      return f;
    },
    async revert(id) {
      if (!active.delete(id)) return;
      const [proxy, toxic] = id.split('/') as [string, string];
      // a toxic that expired (TTL) is already gone
      await remove(proxy, toxic).catch((e: unknown) => {
        if (!(e instanceof FaultlineError && (e.code === 'FL_ERR_TOXIC_NOT_FOUND' || e.code === 'FL_ERR_PROXY_NOT_FOUND'))) throw e;
      });
    },
    async revertAll() {
      const ids = [...active.keys()];
      for (const id of ids) await driver.revert(id);
      return ids;
    },
    evidence: async () => [],
    close,
  };
  return driver;
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('test')
    .description(
      'run a test suite clean, then under faults (agent faults armed in every Node process it spawns, proxy toxics on the links of faultline.yaml), and report the tests and code paths that fail or hang only under faults',
    )
    .argument('<command...>', 'the test command, after `--` (run without a shell), e.g. -- node --test')
    .option('--fault <spec>', 'a fault, repeatable: agent:KIND:fn=NAME[:module=M][:p=0.5][:key=value…] or proxy:TOXIC:link=NAME[:attr=value…] (default: exceptions, nulls and delays in every function, latency and resets on each link)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--each', 'one run of the suite per fault (default)')
    .option('--together', 'one run of the suite with every fault at once')
    .option('--timeout <duration>', 'per run: after it the process group is killed and tests without a result are "hung"', '5m')
    .option('--junit <file>', 'JUnit XML file the command writes (e.g. vitest --reporter=junit --outputFile FILE); default: TAP on stdout')
    .option('--report-dir <dir>', 'where report.json, logs/ and evidence/ go (default: <stateDir>/runs/<id>)')
    .option('--seed <n>', 'seed of the faults\' random draws (default: defaults.seed of faultline.yaml, else random)')
    .option('--include <globs>', 'modules the agent instruments (comma-separated globs, FAULTLINE_AGENT_INCLUDE; default every file outside node_modules)')
    .addHelpText('after', '\nExamples:\n  faultline test -- node --test\n  faultline test --fault agent:throw:fn=fetchPrice -- node --test test/\n  faultline test --fault proxy:latency:link=pricing:latency=800 --timeout 2m -- npx vitest run --reporter=junit --outputFile=junit.xml --junit junit.xml')
    .action(async (command: string[], o: Options) => {
      const c = ctx();
      if (o.each && o.together) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', '--each and --together exclude each other: give one (default --each)');
      const config = c.config();
      const links = config.proxy.proxies.map((p) => p.name);
      const seedRaw = o.seed ?? (config.defaults.seed === undefined ? undefined : String(config.defaults.seed));
      const seed = seedRaw === undefined ? createRng().int(0, 4_294_967_295) : Number(seedRaw);
      if (!Number.isInteger(seed) || seed < 0 || seed > 4_294_967_295) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--seed: expected an integer in 0..4294967295, got ${JSON.stringify(o.seed)}`);
      const faults = seedFaults(o.fault.length > 0 ? o.fault.map((s) => parseChaosFault(s, links)) : defaultChaosFaults(links), createRng(seed));
      const id = newFaultId('test');
      const stateDir = c.stateDir();
      const driver = faults.some((f) => f.layer === 'proxy') ? await proxyDriver(config, c.guard(), c.ledger(), seed) : undefined;
      const interrupt = onInterrupt();
      try {
        const result = await runTestsUnderChaos({
          command,
          cwd: process.cwd(),
          faults,
          mode: o.together ? 'together' : 'each',
          timeoutMs: parseDurationMs(o.timeout, '--timeout'),
          reportDir: resolve(o.reportDir ?? resolve(stateDir, 'runs', id)),
          stateDir,
          agentImport: agentImportPath(),
          ledger: c.ledger(),
          seed,
          runId: id,
          internalDirs: [fileURLToPath(new URL('../../', import.meta.url))],
          onProgress: (line) => c.progress(line),
          signal: interrupt.signal,
          ...(driver ? { proxy: driver } : {}),
          ...(o.junit ? { junitFile: o.junit } : {}),
          ...(o.include ? { include: o.include } : {}),
        });
        c.print(result, () => renderTestUnderChaos(result));
        if (result.fragile) process.exitCode = 1;
      } finally {
        interrupt.dispose();
        await driver?.revertAll().catch(() => undefined);
        await driver?.close();
      }
    });
};

/**
 * The in-process agent: `node --import faultline/agent app.js`.
 * Installs the ESM loader hooks and the CommonJS hook that instrument the application's exported
 * functions, patches node:http/https servers for route faults, observes errors, and starts the control
 * API on 127.0.0.1 (unref'd: it never keeps the target alive). Every step is guarded: a failure is
 * logged once with the `[faultline-agent]` prefix and the target runs on.
 */
import { register as registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel, isMainThread } from 'node:worker_threads';
import { VERSION } from '../../core/version.js';
import { appendEvent } from '../../store/ledger.js';
import { announcementFile, removeAnnouncement, writeAnnouncement, type AgentAnnouncement } from './announce.js';
import { installCjsHook } from './cjs-hook.js';
import { createControlServer, listenControlServer } from './control-server.js';
import { readAgentEnv } from './env.js';
import { describeThrown } from './evidence.js';
import { compilePathFilter } from './glob.js';
import type { HookMessage, HooksData } from './hooks.js';
import { patchHttpServers } from './http-patch.js';
import { AGENT_GLOBAL } from './instrument.js';
import { installProcessMonitors } from './monitors.js';
import { AgentRuntime } from './runtime.js';

function start(): void {
  const key = Symbol.for(AGENT_GLOBAL);
  const g = globalThis as unknown as Record<symbol, unknown>;
  // one agent per process: not in worker threads, not twice
  if (!isMainThread || g[key] !== undefined) return;
  const { env, problems } = readAgentEnv(process.env, process.cwd());
  const faultlineDir = fileURLToPath(new URL('../../', import.meta.url));
  const rt = new AgentRuntime({
    errorCapacity: env.errorCapacity,
    internalDirs: [faultlineDir],
    // fault expiries go to the ledger's append log; the runtime catches and logs a failing write
    ledger: { record: (e) => appendEvent(env.stateDir, e) },
    ...(env.seed === undefined ? {} : { seed: env.seed }),
  });
  for (const p of problems) rt.logOnce(p, p);
  g[key] = rt.bridge();
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      rt.logOnce(`step:${what}`, `${what} is disabled: ${describeThrown(e).message}`);
    }
  };

  step('ESM instrumentation', () => {
    if (typeof registerHooks !== 'function') throw new Error('node:module register() needs Node ≥ 20.6');
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (msg: HookMessage) => {
      if (msg.type === 'skipped') rt.noteSkipped(msg.url, msg.reason, true);
    });
    port1.unref();
    const data: HooksData = { include: env.include, exclude: env.exclude, internalDirs: [faultlineDir], port: port2 };
    registerHooks('./hooks.js', import.meta.url, { data, transferList: [port2] });
  });
  step('CommonJS instrumentation', () => installCjsHook(rt, compilePathFilter(env.include, env.exclude, [faultlineDir])));
  const exempt = new WeakSet<object>();
  step('route faults', () => patchHttpServers(rt, exempt));
  step('error monitors', () => installProcessMonitors(rt));
  step('control server', () => {
    const server = createControlServer(rt, { port: env.port, version: VERSION, ...(env.token === undefined ? {} : { token: env.token }) });
    exempt.add(server);
    server.on('error', (e) => rt.logOnce('server-error', `control server error: ${describeThrown(e).message}`));
    listenControlServer(server, env.port).then(
      (port) => {
        const a: AgentAnnouncement = {
          pid: process.pid,
          host: '127.0.0.1',
          port,
          version: VERSION,
          startedAt: new Date(rt.startedAt).toISOString(),
          argv: process.argv.slice(1),
          cwd: process.cwd(),
          ...(env.token === undefined ? {} : { token: env.token }),
        };
        const files = [announcementFile(env.stateDir, process.pid), ...(env.announceFile ? [env.announceFile] : [])];
        for (const f of files) step(`announcement ${f}`, () => writeAnnouncement(f, a));
        process.once('exit', () => {
          for (const f of files) step(`removing ${f}`, () => removeAnnouncement(f));
        });
      },
      (e: unknown) => rt.logOnce('listen', `control server could not listen on 127.0.0.1:${env.port}: ${describeThrown(e).message}`),
    );
  });
}

try {
  start();
} catch (e) {
  try {
    process.stderr.write(`[faultline-agent] the agent is disabled: ${describeThrown(e).message}\n`);
  } catch {
    // nothing left to tell
  }
}

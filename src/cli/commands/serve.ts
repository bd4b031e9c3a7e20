/**
 * `faultline serve`: the faultline HTTP API (docs/reference/api.md) — FIS and promotion decisions for CI
 * systems and deploy tools that cannot run the CLI, and the release registry. The handlers are the same
 * functions `faultline gate` uses: the configured base threshold, the raise after rollbacks from the registry,
 * the FIS calibration fitted on the registry's releases.
 */
import { dirname } from 'node:path';
import { computeFis, coverageRaise, evaluateGate, isFisCalibration } from '../../promote/index.js';
import { createApiServer, DEFAULT_API_PORT } from '../../server/index.js';
import { listReleases } from '../../store/releases.js';
import type { RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';
import { promoteSettings, registryCalibration } from './promote.js';

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('serve')
    .description('serve the faultline HTTP API: POST /v1/fis, POST /v1/promotions/evaluate, GET /v1/releases, GET /v1/health (docs/reference/api.md); binds 127.0.0.1 unless told otherwise, and a non-loopback address needs --token')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', `port (0 picks a free one)`, String(DEFAULT_API_PORT))
    .option('--token <token>', 'require "Authorization: Bearer <token>" on every call (needed for a non-loopback --host); default $FAULTLINE_API_TOKEN')
    .option('--allow-origin <origin...>', 'browser origins allowed to call the API (others get 403)')
    .action(async (o: { host: string; port: string; token?: string; allowOrigin?: string[] }) => {
      const c = ctx();
      const config = c.config();
      const stateDir = c.stateDir();
      const settings = promoteSettings(config, config.file ? dirname(config.file) : process.cwd());
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new (await import('../../core/errors.js')).FaultlineError('FL_ERR_INVALID_ARGUMENT', `--port: "${o.port}" is not a port (0–65535)`, { context: { attribute: 'port' } });
      const token = o.token ?? process.env.FAULTLINE_API_TOKEN;
      const calibration = () => {
        const cal = registryCalibration(stateDir);
        return isFisCalibration(cal) ? { calibration: cal } : {};
      };
      const server = createApiServer({
        host: o.host,
        port,
        ...(token ? { token } : {}),
        ...(o.allowOrigin ? { allowedOrigins: o.allowOrigin } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
        handlers: {
          fis: (m) => computeFis(m, calibration()),
          evaluate: (req) => evaluateGate(req, { baseCoverageThreshold: settings.baseCoverage, raise: coverageRaise(listReleases(stateDir, { module: req.module.name }), settings.raise).raise, ...calibration() }),
          releases: (q) => listReleases(stateDir, { ...(q.module ? { module: q.module } : {}), ...(q.status ? { status: q.status } : {}) }),
        },
      });
      const addr = await server.listen();
      c.print({ url: addr.url, host: addr.host, port: addr.port }, `faultline API on ${addr.url} (Ctrl-C stops it)`);
      const interrupt = onInterrupt(() => {});
      await new Promise<void>((resolveStop) => interrupt.signal.addEventListener('abort', () => resolveStop(), { once: true }));
      interrupt.dispose();
      await server.close();
      process.exitCode = 0;
    });
};

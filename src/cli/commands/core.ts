import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSchema } from '../../core/config.js';
import { FaultlineError } from '../../core/errors.js';
import { parseDurationMs } from '../../core/duration.js';
import { openLedger } from '../../store/ledger.js';
import { suggestConfig } from '../init.js';
import type { RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('init')
    .description('write a starter faultline.yaml from the project in the current folder (package.json scripts, ports)')
    .option('--force', 'overwrite an existing file')
    .action((o: { force?: boolean }) => {
      const c = ctx();
      const target = resolve(c.configPath);
      if (existsSync(target) && !o.force) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${c.configPath} exists; pass --force to overwrite it`);
      const { yaml, found } = suggestConfig(process.cwd());
      writeFileSync(target, yaml);
      c.print({ file: target, ...found }, `wrote ${c.configPath} (service "${found.service}", command "${found.command}"${found.port ? `, port ${found.port}` : ''}); check it with \`faultline config check\``);
    });

  const config = program.command('config').description('inspect and check faultline.yaml');
  config
    .command('check')
    .description('validate the configuration file; errors name file:line:col and field (exit 2 when invalid)')
    .action(() => {
      const c = ctx();
      const cfg = c.config();
      c.print(cfg, () => `${cfg.file ?? '(defaults)'} is valid: ${Object.keys(cfg.services).length} service(s), ${cfg.proxy.proxies.length} prox${cfg.proxy.proxies.length === 1 ? 'y' : 'ies'}, ${Object.keys(cfg.profiles).length} profile(s), max ${cfg.safeZones.maxConcurrentFaults} concurrent faults, default ttl ${cfg.defaults.ttlMs} ms`);
    });
  config
    .command('schema')
    .description('print the JSON Schema of faultline.yaml (for editor completion)')
    .action(() => {
      process.stdout.write(JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'faultline.yaml', ...configSchema }, null, 2) + '\n');
    });

  program
    .command('ledger')
    .description('show the chaos ledger: every injection, revert, expiry and refusal')
    .option('--fault <id>', 'only events of this fault')
    .option('--action <action>', 'only this action (inject, update, revert, expire, refuse, abort, service)')
    .option('--since <duration>', 'only events newer than this (e.g. 10m, 2h)')
    .option('-n, --limit <n>', 'only the last n events', (v) => Number(v))
    .action((o: { fault?: string; action?: string; since?: string; limit?: number }) => {
      const c = ctx();
      const ledger = openLedger(c.stateDir());
      try {
        const events = ledger.query({
          ...(o.fault ? { faultId: o.fault } : {}),
          ...(o.action ? { action: o.action as never } : {}),
          ...(o.since ? { since: new Date(Date.now() - parseDurationMs(o.since, '--since')).toISOString() } : {}),
          ...(o.limit ? { limit: o.limit } : {}),
        });
        c.print(events, () =>
          events.length === 0
            ? 'the ledger is empty'
            : events.map((e) => `${e.ts}  ${e.action.padEnd(7)} ${e.outcome.padEnd(7)} ${e.layer}/${e.kind} ${e.target} ${JSON.stringify(e.params)}${e.detail ? ` — ${e.detail}` : ''}  [${e.faultId}, ${e.actor}]`).join('\n'),
        );
      } finally {
        ledger.close();
      }
    });
};


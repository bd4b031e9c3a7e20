/** `faultline cards …` (the failure-card catalogue and drill coverage) and `faultline chaos` (continuous chaos, game days). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError } from '../../core/errors.js';
import type { FaultRequest } from '../../core/fault.js';
import { createRng } from '../../core/rng.js';
import type { Bindings } from '../../experiment/cards/bind.js';
import { coverage, type CoverageReport } from '../../experiment/cards/coverage.js';
import { defaultBindings, parseBindOptions } from '../../experiment/cards/defaults.js';
import { BUILTIN_CARDS_DIR, cardFiles, findCardOrThrow, formatProblems, loadCatalogue, cardVariables, readCards } from '../../experiment/cards/load.js';
import type { CardRunDeps } from '../../experiment/cards/run.js';
import type { FailureCard } from '../../experiment/cards/types.js';
import { loadGameDay, startTime } from '../../experiment/chaos/gameday.js';
import { planChaos, runChaos, runGameDay, type ChaosOptions, type ChaosPlan, type SessionResult } from '../../experiment/chaos/session.js';
import { evaluateHalt } from '../../experiment/halt.js';
import { createRunDeps, finishDrill } from '../../loop/wiring.js';
import { lastDrills } from '../../store/runs.js';
import type { CliContext, RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';

const collect = (v: string, acc: string[]): string[] => [...acc, v];
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v} ms`);

function catalogue(c: CliContext, dirs: string[]): FailureCard[] {
  return loadCatalogue([...c.config().cards.dirs, ...dirs]);
}

function renderList(cards: FailureCard[]): string {
  const rows = cards.map((k) => `${k.id.padEnd(28)} ${k.category.padEnd(12)} ${k.risk.toFixed(1).padStart(4)}  ${k.status.padEnd(16)} ${k.title}`);
  return [`${'id'.padEnd(28)} ${'category'.padEnd(12)} risk  ${'status'.padEnd(16)} title`, ...rows, `${cards.length} cards (${cards.filter((k) => k.status === 'ready').length} ready, ${cards.filter((k) => k.status === 'partial').length} partial, ${cards.filter((k) => k.status === 'needs-mechanism').length} need a mechanism)`].join('\n');
}

function renderCard(k: FailureCard): string {
  const inj = k.injection;
  const det = k.detection;
  return [
    `${k.id}: ${k.title}`,
    `  category ${k.category}, scenario ${k.scenario}, risk ${k.risk}, status ${k.status}   (${k.source})`,
    ...(k.description ? [`  ${k.description}`] : []),
    ...(k.approximation ? [`  approximation: ${k.approximation}`] : []),
    ...(k.missing ? [`  missing mechanism: ${k.missing}`] : []),
    ...(inj ? [`  injection: ${inj.layer}/${inj.kind} target ${JSON.stringify(inj.target)} params ${JSON.stringify(inj.params)}, held ${inj.durationMs} ms, TTL ${inj.ttlMs} ms`, ...(inj.with ?? []).map((w) => `    with ${w.layer}/${w.kind} target ${JSON.stringify(w.target)} params ${JSON.stringify(w.params)}`), `  variables: ${[...cardVariables(k)].map(([n, d]) => (d === undefined ? `{${n}}` : `{${n}:${d}}`)).join(' ') || '(none)'}`] : []),
    `  detection: ${det.signal}${det.above !== undefined ? ` above ${det.above}` : det.below !== undefined ? ` below ${det.below}` : ''} within ${det.withinMs} ms`,
    `  SLO: detect ≤ ${k.slo.detectMs} ms, recover ≤ ${k.slo.recoverMs} ms`,
    `  remediation: ${k.remediation.text}${k.remediation.playbook ? ` (playbook ${k.remediation.playbook})` : ''}`,
    '  verification:',
    ...k.verification.map((v) => `    - ${v}`),
    '  rollback when:',
    ...k.rollback.map((v) => `    - ${v}`),
  ].join('\n');
}

function renderCoverage(r: CoverageReport): string {
  const lines = [`coverage at ${r.at}: ${r.total} cards, ${r.runnable} runnable, ${r.currentPct}% drilled on schedule`];
  lines.push(`never drilled (${r.neverDrilled.length}): ${r.neverDrilled.join(', ') || '-'}`);
  lines.push(`overdue (${r.overdue.length}): ${r.cards.filter((c) => c.state === 'overdue').map((c) => `${c.id} (due ${c.dueAt}, every ${c.intervalDays} d)`).join(', ') || '-'}`);
  lines.push(`high-risk pending (risk ≥ 2.0) (${r.highRiskPending.length}): ${r.highRiskPending.join(', ') || '-'}`);
  lines.push('by category:        cards drilled overdue never cannot-run');
  for (const [cat, v] of Object.entries(r.byCategory)) if (v.cards > 0) lines.push(`  ${cat.padEnd(18)} ${String(v.cards).padStart(5)} ${String(v.drilled).padStart(7)} ${String(v.overdue).padStart(7)} ${String(v.neverDrilled).padStart(5)} ${String(v.cannotRun).padStart(11)}`);
  lines.push(`cannot run (needs a mechanism) (${r.cannotRun.length}):`, ...r.cannotRun.map((c) => `  ${c.id}: ${c.missing}`));
  lines.push(`partial (approximations) (${r.partial.length}):`, ...r.partial.map((c) => `  ${c.id}: ${c.approximation}`));
  return lines.join('\n');
}

function renderPlan(plan: ChaosPlan, bindings: Bindings): string {
  return [
    `chaos plan (dry run: nothing is injected), seed ${plan.seed}, up to ${plan.width} incident(s) at once`,
    `bindings: ${Object.entries(bindings).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'}`,
    `eligible (${plan.eligible.length}): ${plan.eligible.join(', ') || '-'}`,
    ...plan.skipped.map((s) => `skip ${s.id}: ${s.reason}`),
    ...Object.entries(plan.guided ?? {}).map(([id, why]) => `guided ${id}: ${why}`),
    ...plan.steps.map((s) => `  ${String(s.index + 1).padStart(3)}. ~+${Math.round(s.estimatedStartMs / 1000)}s  ${s.cards.join(' + ')}  (then wait ${Math.round(s.waitAfterMs / 100) / 10}s)`),
  ].join('\n');
}

function renderSession(r: SessionResult): string {
  const lines = [`${r.record.title}: ${r.record.status}${r.record.deviated ? ' (deviated)' : ''}, ${r.incidents.length} drill(s), mean MTTD ${ms(r.record.mttdMs)}, mean MTTR ${ms(r.record.mttrMs)}${r.seed !== undefined ? `, seed ${r.seed}` : ''}`];
  for (const i of r.incidents) {
    const rec = i.result?.record;
    lines.push(`  #${i.step + 1} ${i.cardId.padEnd(26)} ${rec ? `${rec.status.padEnd(11)} MTTD ${ms(rec.mttdMs).padEnd(9)} MTTR ${ms(rec.mttrMs)}` : `not run: ${i.error ?? ''}`}`);
    for (const ch of i.result?.report.checks.filter((x) => !x.met) ?? []) lines.push(`       ✗ ${ch.probe}${ch.error ? `: ${ch.error}` : ''}`);
  }
  for (const s of r.skipped) lines.push(`  skipped ${s.id}: ${s.reason}`);
  return lines.join('\n');
}

/** JSON of a session without the bulky observation timelines. */
function sessionJson(r: SessionResult): unknown {
  return {
    ...r,
    incidents: r.incidents.map((i) => ({ step: i.step, cardId: i.cardId, ...(i.error ? { error: i.error } : {}), ...(i.result ? { record: i.result.record, checks: i.result.report.checks, faults: i.result.report.faults, evidence: i.result.report.evidence, recommendations: i.result.report.recommendations, figures: i.result.report.figures } : {}) })),
  };
}

interface ChaosFlags {
  cards: string[];
  interval: string;
  duration?: string;
  incidents?: string;
  stress?: boolean;
  gameday?: string;
  seed?: string;
  bind: string[];
  dryRun?: boolean;
  up?: boolean;
  baseline: string;
  predictions?: string | false;
}

type Guidance = NonNullable<ChaosOptions['guidance']>;

/**
 * The failure points of `faultline predict` (a JSON array of FailurePoint, or {failurePoints: [...]}) that guide
 * the draw; the default file is <stateDir>/predictions.json when it exists.
 */
function readGuidance(file: string, explicit: boolean): Guidance {
  if (!existsSync(file)) {
    if (explicit) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--predictions: ${file} does not exist (run \`faultline predict\` first)`);
    return [];
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--predictions: ${file} is not JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(data) ? data : Array.isArray((data as { failurePoints?: unknown })?.failurePoints) ? (data as { failurePoints: unknown[] }).failurePoints : undefined;
  if (!list) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--predictions: ${file} holds neither a list of failure points nor {failurePoints: [...]}`);
  return list.filter(
    (p): p is Guidance[number] =>
      typeof p === 'object' && p !== null && typeof (p as { failureType?: unknown }).failureType === 'string' && typeof (p as { confidence?: unknown }).confidence === 'number' && typeof (p as { path?: unknown }).path === 'string',
  );
}

export const register: RegisterCommands = (program, ctx) => {
  const cards = program.command('cards').description('the failure-card catalogue: list, show, validate, and drill coverage (docs/reference/failure-cards.md)');

  cards
    .command('list', { isDefault: true })
    .description('list the cards (built-in, faultline.yaml cards.dirs, and --cards folders): id, category, risk, status, title')
    .option('--cards <dir>', 'a folder (or file) of card YAML files; repeatable', collect, [] as string[])
    .action((o: { cards: string[] }) => {
      const c = ctx();
      const list = catalogue(c, o.cards);
      c.print(list, () => renderList(list));
    });

  cards
    .command('show')
    .description('show one card: injection template, cardVariables, detection, SLO, remediation, verification, rollback criteria')
    .argument('<id>', 'card id (see `faultline cards`)')
    .option('--cards <dir>', 'a folder (or file) of card YAML files; repeatable', collect, [] as string[])
    .action((id: string, o: { cards: string[] }) => {
      const c = ctx();
      const card = findCardOrThrow(catalogue(c, o.cards), id);
      c.print(card, () => renderCard(card));
    });

  cards
    .command('validate')
    .description('check card files; every problem is listed as file:line:col field: message (exit 2 when any). Without arguments: the built-in cards and cards.dirs of faultline.yaml')
    .argument('[dirs...]', 'folders or files of card YAML files')
    .action((dirs: string[]) => {
      const c = ctx();
      const targets = dirs.length > 0 ? dirs : [BUILTIN_CARDS_DIR, ...c.config().cards.dirs];
      const r = readCards(targets.flatMap((d) => cardFiles(d)));
      const valid = r.problems.length === 0;
      c.print({ valid, files: r.files, cards: r.cards.length, problems: r.problems }, () => (valid ? `${r.cards.length} card(s) in ${r.files.length} file(s): valid` : `invalid failure cards:\n${formatProblems(r.problems)}`));
      if (!valid) process.exitCode = 2;
    });

  cards
    .command('coverage')
    .description('drill coverage from the run store: never drilled, overdue (risk ≥ 2.0 every 3 days, ≥ 1.0 every 7, below every 14), high-risk pending, by category, cards that cannot run. Exit 1 when a high-risk card is pending')
    .option('--cards <dir>', 'a folder (or file) of card YAML files; repeatable', collect, [] as string[])
    .action((o: { cards: string[] }) => {
      const c = ctx();
      const r = coverage(catalogue(c, o.cards), lastDrills(c.stateDir()), Date.now());
      c.print(r, () => renderCoverage(r));
      if (r.highRiskPending.length > 0) process.exitCode = 1;
    });

  program
    .command('chaos')
    .description('continuous chaos: drill failure cards picked at random by risk (seeded, replayable) under load, every --interval, until --duration/--incidents or Ctrl-C (every fault reverted); --stress runs up to 3 at once; --gameday runs a named, scheduled sequence. Every drill is recorded with MTTD/MTTR (see `faultline cards coverage`). Exit 1 when a drill deviated, 130 when interrupted')
    .option('--cards <dir>', 'a folder (or file) of card YAML files besides the built-in ones; repeatable', collect, [] as string[])
    .option('--interval <duration>', 'wait between incidents, jittered ±20 %', '30s')
    .option('--duration <duration>', 'stop starting incidents after this long (e.g. 10m)')
    .option('--incidents <n>', 'stop after this many incidents')
    .option('--stress', 'up to 3 simultaneous incidents (never more than safeZones.maxConcurrentFaults)')
    .option('--gameday <file>', 'run the game day in this YAML file (name, schedule, steps) instead of random selection')
    .option('--seed <n>', 'seed of the selection (default: defaults.seed of faultline.yaml, else random; always printed)')
    .option('--bind <key=value>', 'variable value, e.g. --bind fn=fetchPrice; repeatable (defaults come from faultline.yaml)', collect, [] as string[])
    .option('--baseline <duration>', 'load before each fault, for the steady state', '2s')
    .option('--dry-run', 'print the plan with its seed (and which cards are skipped and why); inject nothing')
    .option('--up', 'start the proxy links and services of faultline.yaml first and stop them after')
    .option('--predictions <file>', 'failure points of `faultline predict` that raise the weights of the cards exercising their failure types (default <stateDir>/predictions.json when it exists)')
    .option('--no-predictions', 'draw by the cards\' risk alone')
    .action(async (o: ChaosFlags) => {
      const c = ctx();
      const config = c.config();
      if (o.duration !== undefined && o.incidents !== undefined) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', '--duration and --incidents: give one of them');
      const incidents = o.incidents === undefined ? undefined : Number(o.incidents);
      if (incidents !== undefined && (!Number.isInteger(incidents) || incidents < 1)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--incidents: expected a whole number ≥ 1, got "${o.incidents}"`);
      const seed = o.seed !== undefined ? Number(o.seed) : (config.defaults.seed ?? createRng().seed);
      if (!Number.isInteger(seed) || seed < 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--seed: expected a whole number ≥ 0, got "${o.seed}"`);
      const list = catalogue(c, o.cards);
      const bindings = { ...defaultBindings(config), ...parseBindOptions(o.bind) };
      const gameday = o.gameday !== undefined ? loadGameDay(o.gameday, list) : undefined;
      const guard = c.guard();
      const admit = (req: FaultRequest): string | undefined => {
        try {
          guard.admit(req, []);
          return undefined;
        } catch (e) {
          if (e instanceof FaultlineError && e.code === 'FL_ERR_SAFE_ZONE') return `refused by the safe zones: ${e.message}`;
          throw e;
        }
      };
      const guidance = o.predictions === false ? [] : readGuidance(o.predictions ?? join(c.stateDir(), 'predictions.json'), o.predictions !== undefined);
      const chaosOptions = {
        cards: list,
        bindings,
        admit,
        guidance,
        intervalMs: parseDurationMs(o.interval, '--interval'),
        ...(o.duration !== undefined ? { durationMs: parseDurationMs(o.duration, '--duration') } : {}),
        ...(incidents !== undefined ? { incidents } : {}),
        stress: o.stress ?? false,
        maxConcurrentFaults: config.safeZones.maxConcurrentFaults,
        seed,
        drill: { baselineMs: parseDurationMs(o.baseline, '--baseline') },
      };
      if (o.dryRun) {
        if (gameday) {
          const at = new Date(startTime(gameday.schedule, Date.now())).toISOString();
          c.print({ gameday, startsAt: at, bindings }, () => [`game day "${gameday.name}" (dry run: nothing is injected), starts ${at}`, ...gameday.steps.map((s, i) => `  ${i + 1}. +${s.atMs / 1000}s ${s.card}${Object.keys(s.bind).length ? ` bind ${JSON.stringify(s.bind)}` : ''}`)].join('\n'));
          return;
        }
        const plan = planChaos(chaosOptions);
        c.print({ ...plan, bindings }, () => renderPlan(plan, bindings));
        return;
      }

      const interrupt = onInterrupt((line) => c.progress(line));
      const say = (line: string): void => (c.json ? undefined : void process.stderr.write(`${line}\n`));
      const wired = createRunDeps({ config, stateDir: c.stateDir(), ledger: c.ledger(), guard: c.guard(), signal: interrupt.signal, onProgress: say, ...(o.up ? { up: true } : {}) });
      try {
        await wired.start();
        say(`chaos seed ${seed}`);
        const d = wired.deps;
        const deps: CardRunDeps = {
          faults: d.faults,
          ...(d.startObserver ? { startObserver: d.startObserver } : {}),
          ...(d.load ? { load: d.load } : {}),
          ...(d.targets ? { targets: d.targets } : {}),
          ...(d.figures ? { figures: d.figures } : {}),
          ...(wired.bounds ? { bounds: wired.bounds } : {}),
          ...(d.checkHealth ? { health: () => (d.checkHealth as (s?: string) => Promise<boolean>)(bindings.service) } : {}),
          halt: (s) => evaluateHalt(config.safeZones.haltConditions, s),
          ledger: c.ledger(),
          stateDir: c.stateDir(),
          finish: finishDrill(config, c.stateDir()),
          signal: interrupt.signal,
          onProgress: say,
        };
        const result = gameday ? await runGameDay(gameday, { cards: list, bindings, maxConcurrentFaults: config.safeZones.maxConcurrentFaults, drill: chaosOptions.drill, admit }, deps) : await runChaos(chaosOptions, deps);
        c.print(sessionJson(result), () => renderSession(result));
        process.exitCode = interrupt.signal.aborted ? 130 : result.record.deviated ? 1 : 0;
      } finally {
        await wired.close();
        interrupt.dispose();
      }
    });
};

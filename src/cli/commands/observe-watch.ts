/**
 * `faultline observe watch | rules | warn-eval`: live warnings (a running target or a Prometheus query), Prometheus
 * alerting rules from the detectors, and the early-warning evaluation on a recorded corpus. They hang under the
 * `observe` command (src/cli/commands/observe.ts creates it); `register` finds it or creates it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError } from '../../core/errors.js';
import type { SteadyStateBounds } from '../../core/run.js';
import { evaluateEarlyWarning, type EarlyEvalResult, type WarnerResult } from '../../observe/anomaly/early-eval.js';
import { trainForecaster } from '../../observe/anomaly/forecast.js';
import { DEFAULT_DETECTOR, DETECTORS, findDetectorOrThrow } from '../../observe/anomaly/registry.js';
import { alertingRules, faultlineSeries, renderRules, RULE_DETECTORS, type RuleSeries } from '../../observe/anomaly/rules.js';
import { isSignal, SIGNALS, type Signal, type SignalSample } from '../../observe/anomaly/signals.js';
import type { DetectorSpec } from '../../observe/anomaly/types.js';
import { DEFAULT_MIN_VIOLATION_MS, readWarnCorpus } from '../../observe/anomaly/warn-corpus.js';
import { boundsFromBaseline, loadModel, prometheusSource, runWatch, targetSource, Watcher, type Warning, type WatchSample, type WatchSource } from '../../observe/anomaly/watch.js';
import type { CliContext, RegisterCommands } from '../context.js';
import { onInterrupt } from '../interrupt.js';

const bad = (attribute: string, message: string): never => {
  throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--${attribute}: ${message}`, { context: { attribute } });
};

function number(v: string | undefined, attribute: string, min = -Infinity, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max) bad(attribute, `expected a number in [${min}, ${max}], got "${v}"`);
  return x;
}

function detectorList(v: string | undefined, fallback: readonly DetectorSpec[]): DetectorSpec[] {
  if (v === undefined) return [...fallback];
  if (v === 'all') return [...DETECTORS];
  return v.split(',').map((s) => findDetectorOrThrow(s.trim()));
}

function configBounds(c: CliContext): SteadyStateBounds | undefined {
  const s = c.config().steadyState;
  if (s?.maxErrorRate === undefined) return undefined;
  return { maxErrorRate: s.maxErrorRate, ...(s.maxP99LatencyMs !== undefined ? { maxP99LatencyMs: s.maxP99LatencyMs } : {}), ...(s.minThroughputPerSec !== undefined ? { minThroughputPerSec: s.minThroughputPerSec } : {}) };
}

// ---------------------------------------------------------------------------------------------------------
// warn-eval

interface WarnEvalFlags {
  data: string;
  horizon: string;
  detector?: string;
  baselines?: string;
  maxFalseAlarms: string;
  minViolation: string;
  saveModel?: string;
  seed: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const sec = (x: number | null): string => (x === null ? '—' : `${x.toFixed(2)} s`);

export function renderEval(r: EarlyEvalResult): string {
  const rows: string[][] = [['warner', 'violations', 'warned', 'lead median', 'lead p10', 'false alarms/h', 'alarm time', 'AUC']];
  const row = (name: string, w: WarnerResult): string[] => [name, String(w.violations), `${w.warned} (${pct(w.warnedShare)})`, sec(w.leadMedianS), sec(w.leadP10S), w.falseAlarmsPerHour.toFixed(1), pct(w.alarmTimeShare), Number.isNaN(w.auc) ? '—' : w.auc.toFixed(3)];
  rows.push(row(`forecaster (${r.detector})`, r.forecaster));
  for (const [name, w] of Object.entries(r.baselines)) rows.push(row(name, w));
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((x) => (x[i] ?? '').length)));
  const lines = rows.map((x) => x.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [
    `early warning, leave one run out: ${r.runs} runs, ${r.buckets} buckets, ${r.violations} violations of ≥ ${r.minViolationMs} ms, ${r.nonViolationHours.toFixed(3)} h outside violations`,
    `horizon ${r.horizonMs / 1000} s; thresholds chosen on the training runs of each fold for ≤ ${r.maxFalseAlarmsPerHour} false alarms/h`,
    '',
    ...lines,
    '',
    'lead: from the warning to the end of the first violated bucket (when a steady-state check sees it); false alarm: an alarm with no violation starting within the horizon (counted again each horizon it stays up).',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// watch

interface WatchFlags {
  target?: string;
  prometheus?: string;
  query?: string;
  token?: string;
  detector?: string;
  threshold?: string;
  horizon?: string;
  model?: string;
  forecast: boolean;
  interval?: string;
  rate: string;
  timeout: string;
  pid?: string[];
  maxErrorRate?: string;
  maxP99?: string;
  minThroughput?: string;
  baseline: string;
  signal?: string;
  above?: string;
  below?: string;
  backfill: string;
  probationary?: string;
  rearm: string;
  duration?: string;
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}

export function renderWarning(w: Warning): string {
  const head = `${clock(w.at)}  ${w.kind.toUpperCase().padEnd(9)} ${w.message}`;
  return w.hint && w.hint.moved.length + (w.hint.nearestEvent ? 1 : 0) > 0 ? `${head}\n          hint: ${w.hint.summary}` : head;
}

/** bounds for a Prometheus series mapped to a signal with --above/--below */
function signalBounds(signal: Signal | undefined, above: number | undefined, below: number | undefined): SteadyStateBounds | undefined {
  if (signal === undefined || (above === undefined && below === undefined)) return undefined;
  if (signal === 'errorRate' && above !== undefined) return { maxErrorRate: above };
  if (signal === 'p99LatencyMs' && above !== undefined) return { maxErrorRate: 1, maxP99LatencyMs: above };
  if (signal === 'throughputPerSec' && below !== undefined) return { maxErrorRate: 1, minThroughputPerSec: below };
  return bad(above !== undefined ? 'above' : 'below', `a steady-state bound exists for errorRate (--above), p99LatencyMs (--above) and throughputPerSec (--below); ${signal} has none`);
}

// ---------------------------------------------------------------------------------------------------------
// rules

interface RulesFlags {
  detector: string;
  threshold: string;
  query?: string[];
  name?: string[];
  above?: string[];
  below?: string[];
  minScale?: string[];
  faultline: boolean;
  maxErrorRate?: string;
  maxP99?: string;
  scrapeInterval: string;
  for: string;
  horizon: string;
  group: string;
  out?: string;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Adds `watch`, `rules` and `warn-eval` to the given `observe` command. */
export function registerObserveWatch(observe: Command, ctx: () => CliContext): void {
  observe
    .command('warn-eval')
    .description(
      'evaluate early warning on a recorded corpus (scripts/record-corpus.mjs), leave one run out: lead time before each steady-state violation and false alarms per hour, for the forecaster and for the plain detectors and the bounds\' proximity as baselines; --save-model trains on every run and writes the model for `observe watch --model`',
    )
    .requiredOption('--data <dir>', 'the corpus folder (runs/*.json)')
    .option('--horizon <duration>', 'warn of violations starting within this long', '10s')
    .option('--detector <name>', `the detector whose scores feed the forecaster (default ${DEFAULT_DETECTOR.name})`)
    .option('--baselines <list>', 'detectors to evaluate as plain warners, comma-separated, or all (default: all but lstm)')
    .option('--max-false-alarms <n>', 'false alarms per hour allowed when choosing thresholds on the training runs', '10')
    .option('--min-violation <duration>', 'shorter violations are not judged', `${DEFAULT_MIN_VIOLATION_MS}ms`)
    .option('--save-model <file>', 'also train on every run and write the model (JSON) here')
    .option('--seed <n>', 'seed of the detectors', '1')
    .action((o: WarnEvalFlags) => {
      const c = ctx();
      const horizonMs = parseDurationMs(o.horizon, '--horizon');
      if (!(horizonMs > 0)) bad('horizon', 'must be > 0');
      const maxFa = number(o.maxFalseAlarms, 'max-false-alarms', 0) as number;
      const seed = number(o.seed, 'seed', 0) as number;
      const detector = o.detector !== undefined ? findDetectorOrThrow(o.detector) : DEFAULT_DETECTOR;
      const baselines = detectorList(o.baselines, DETECTORS.filter((d) => d.name !== 'lstm'));
      const runs = readWarnCorpus(resolve(o.data));
      const result = evaluateEarlyWarning(runs, { horizonMs, detector, baselines, maxFalseAlarmsPerHour: maxFa, minViolationMs: parseDurationMs(o.minViolation, '--min-violation'), seed, onProgress: (l) => c.progress(`warn-eval: ${l}`) });
      let saved: string | undefined;
      if (o.saveModel !== undefined) {
        const model = trainForecaster(runs, { horizonMs, detector, maxFalseAlarmsPerHour: maxFa, seed });
        saved = resolve(o.saveModel);
        mkdirSync(dirname(saved), { recursive: true });
        writeFileSync(saved, JSON.stringify(model, null, 1) + '\n');
      }
      c.print({ ...result, ...(saved ? { model: saved } : {}) }, () => renderEval(result) + (saved ? `\n\nmodel (trained on all ${runs.length} runs): ${saved}` : ''));
    });

  observe
    .command('rules')
    .description(
      "write Prometheus alerting rules (a rules file for rule_files: in prometheus.yml) for faultline's own metrics and for PromQL series of yours: the detector's threshold as a PromQL deviation rule, the steady-state bound, and an early-warning predict_linear rule toward the bound",
    )
    .option('--detector <name>', `detector to express (${RULE_DETECTORS.join(', ')})`, 'robust-z')
    .option('--threshold <score>', 'the detector score to alert at, in (0, 1): 0.25 is p = 1e-4, 0.5 is p = 1e-8', '0.25')
    .option('--query <promql>', 'a series of yours (repeatable; pair each with --name)', collect)
    .option('--name <Id>', 'CamelCase id of the --query at the same position, used in alert names', collect)
    .option('--above <value>', 'steady-state upper bound of the --query at the same position (repeatable; "-" for none)', collect)
    .option('--below <value>', 'steady-state lower bound of the --query at the same position (repeatable; "-" for none)', collect)
    .option('--min-scale <value>', 'floor of the deviation of the --query at the same position, in its unit (repeatable)', collect)
    .option('--no-faultline', "leave out the rules for faultline's own metrics")
    .option('--max-error-rate <rate>', "steady-state bound of faultline_error_rate (default: steadyState of faultline.yaml)")
    .option('--max-p99 <duration>', 'steady-state bound of the p99 latency (default: steadyState of faultline.yaml)')
    .option('--scrape-interval <duration>', "Prometheus's scrape interval (the detectors' windows are counted in samples)", '15s')
    .option('--for <duration>', 'how long a condition holds before the alert fires', '1m')
    .option('--horizon <duration>', 'how far ahead the early-warning rule looks', '10m')
    .option('--group <name>', 'rule group name', 'faultline-early-warning')
    .option('--out <file>', 'write the rules here instead of stdout')
    .action((o: RulesFlags) => {
      const c = ctx();
      const series: RuleSeries[] = [];
      if (o.faultline) {
        let bounds: SteadyStateBounds | undefined = o.maxErrorRate !== undefined || o.maxP99 !== undefined ? undefined : configBounds(c);
        if (o.maxErrorRate !== undefined || o.maxP99 !== undefined) {
          bounds = { maxErrorRate: number(o.maxErrorRate ?? '1', 'max-error-rate', 0, 1) as number, ...(o.maxP99 !== undefined ? { maxP99LatencyMs: parseDurationMs(o.maxP99, '--max-p99') } : {}) };
        }
        series.push(...faultlineSeries(bounds));
      }
      const queries = o.query ?? [];
      const names = o.name ?? [];
      if (names.length !== queries.length) bad('name', `give one --name per --query (${queries.length} queries, ${names.length} names)`);
      const at = (list: string[] | undefined, i: number, attr: string): number | undefined => {
        const v = list?.[i];
        return v === undefined || v === '-' ? undefined : number(v, attr);
      };
      queries.forEach((q, i) => {
        const above = at(o.above, i, 'above');
        const below = at(o.below, i, 'below');
        const minScale = at(o.minScale, i, 'min-scale');
        series.push({ id: names[i] as string, expr: q, description: names[i] as string, ...(above !== undefined ? { above } : {}), ...(below !== undefined ? { below } : {}), ...(minScale !== undefined ? { minScale } : {}) });
      });
      if (series.length === 0) bad('query', 'no series: give --query/--name, or keep the faultline metrics');
      const file = alertingRules({
        detector: o.detector,
        scoreThreshold: number(o.threshold, 'threshold', 0, 1) as number,
        scrapeIntervalMs: parseDurationMs(o.scrapeInterval, '--scrape-interval'),
        forMs: parseDurationMs(o.for, '--for'),
        horizonMs: parseDurationMs(o.horizon, '--horizon'),
        group: o.group,
        series,
      });
      const text = renderRules(file, `Prometheus alerting rules written by faultline observe rules (${o.detector}, score ≥ ${o.threshold}).\nCheck with: promtool check rules <this file>`);
      if (o.out !== undefined) {
        const out = resolve(o.out);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, text);
        c.print({ file: out, rules: file.groups.reduce((n, g) => n + g.rules.length, 0), groups: file.groups.length }, () => `${file.groups[0]?.rules.length ?? 0} rules → ${out}`);
      } else if (c.json) c.print(file, '');
      else process.stdout.write(text);
    });

  observe
    .command('watch')
    .description(
      'watch a running target (open-loop probe load on --target, process samples of --pid) or a Prometheus query (--prometheus, --query) live: the detectors and the early-warning forecaster raise warnings (violation, forecast, anomaly) with a root-cause hint; with --json, one JSON object per warning. Exit 1 when a warning was raised',
    )
    .option('--target <url>', 'a local URL to probe with open-loop load (e.g. http://127.0.0.1:7300/health)')
    .option('--prometheus <url>', "a Prometheus server's base URL (e.g. http://127.0.0.1:9090)")
    .option('--query <promql>', 'with --prometheus: the PromQL to watch (an instant vector)')
    .option('--token <token>', 'with --prometheus: a bearer token')
    .option('--detector <name>', `anomaly detector (default ${DEFAULT_DETECTOR.name})`)
    .option('--threshold <score>', 'detector score that raises an anomaly warning, in (0, 1): 0.5 is p = 1e-8', '0.5')
    .option('--horizon <duration>', "the forecast horizon; must match the model's (default: the model's)")
    .option('--model <file>', 'early-warning model from `observe warn-eval --save-model` (default: models/early-warning.json when installed)')
    .option('--no-forecast', 'detectors and bounds only')
    .option('--interval <duration>', 'poll interval (default 250ms for --target, 15s for --prometheus)')
    .option('--rate <n>', 'with --target: probe requests per second', '20')
    .option('--timeout <duration>', 'with --target: a probe request slower than this is an error', '2s')
    .option('--pid <pid>', 'with --target: a process to sample (cpu, rss, fds; repeatable)', collect)
    .option('--max-error-rate <rate>', 'steady-state bound (default: steadyState of faultline.yaml, else derived from --baseline)')
    .option('--max-p99 <duration>', 'steady-state bound of the p99 latency')
    .option('--min-throughput <n>', 'steady-state bound: successful responses per second')
    .option('--baseline <duration>', 'with --target and no bounds: derive them from this first stretch (the documented rule of the resilience figures)', '20s')
    .option('--signal <name>', `with --prometheus: what the query measures, for the forecaster and bounds (${SIGNALS.join(', ')})`)
    .option('--above <value>', 'with --prometheus --signal: the steady-state upper bound')
    .option('--below <value>', 'with --prometheus --signal: the steady-state lower bound')
    .option('--backfill <duration>', 'with --prometheus: warm the detectors up on this much history (query_range)', '30m')
    .option('--probationary <n>', 'samples the detectors only learn from (default 40)')
    .option('--rearm <duration>', 'raise a warning of a kind again only after this long without it', '30s')
    .option('--duration <duration>', 'stop after this long (default: until Ctrl-C)')
    .action(async (o: WatchFlags) => {
      const c = ctx();
      if ((o.target === undefined) === (o.prometheus === undefined)) bad('target', 'give either --target URL or --prometheus URL --query PROMQL');
      if (o.prometheus !== undefined && o.query === undefined) bad('query', '--prometheus needs --query');
      const detector = o.detector !== undefined ? findDetectorOrThrow(o.detector) : DEFAULT_DETECTOR;
      const intervalMs = parseDurationMs(o.interval ?? (o.target !== undefined ? '250ms' : '15s'), '--interval');
      if (!(intervalMs > 0)) bad('interval', 'must be > 0');
      const model = o.forecast ? loadModel(o.model) : undefined;
      if (model && o.horizon !== undefined && parseDurationMs(o.horizon, '--horizon') !== model.horizonMs) {
        throw new FaultlineError('FL_ERR_WARN_MODEL', `the model forecasts ${model.horizonMs / 1000} s ahead, not ${o.horizon}; train one for that horizon with \`faultline observe warn-eval --data DIR --horizon ${o.horizon} --save-model FILE\``, { context: { horizon: o.horizon } });
      }
      const say = (line: string): void => void (c.json ? undefined : process.stderr.write(`${line}\n`));
      if (o.forecast && !model) say('no early-warning model (pass --model, or install models/early-warning.json): detectors and bounds only');
      let bounds: SteadyStateBounds | undefined;
      const explicit = o.maxErrorRate !== undefined || o.maxP99 !== undefined || o.minThroughput !== undefined;
      if (explicit) {
        bounds = {
          maxErrorRate: number(o.maxErrorRate ?? '1', 'max-error-rate', 0, 1) as number,
          ...(o.maxP99 !== undefined ? { maxP99LatencyMs: parseDurationMs(o.maxP99, '--max-p99') } : {}),
          ...(o.minThroughput !== undefined ? { minThroughputPerSec: number(o.minThroughput, 'min-throughput', 0) as number } : {}),
        };
      }
      let source: WatchSource;
      let signals: ((s: WatchSample) => SignalSample) | undefined;
      if (o.target !== undefined) {
        const pids = (o.pid ?? []).map((p) => number(p, 'pid', 1) as number);
        const src = targetSource({ url: o.target, ratePerSec: number(o.rate, 'rate', 0.1) as number, timeoutMs: parseDurationMs(o.timeout, '--timeout'), stepMs: intervalMs, ...(pids.length ? { targets: () => pids.map((pid) => ({ pid })) } : {}) });
        bounds ??= configBounds(c);
        const baselineMs = parseDurationMs(o.baseline, '--baseline');
        source = {
          poll: () => src.poll(),
          close: () => src.close(),
          async backfill() {
            if (bounds) return [];
            say(`baseline: ${baselineMs} ms of ${o.rate} req/s to ${o.target}`);
            await new Promise((r) => setTimeout(r, baselineMs));
            const s = await src.poll();
            bounds = boundsFromBaseline(src.buckets(), intervalMs);
            say(`steady state: error rate ≤ ${(bounds.maxErrorRate * 100).toFixed(1)} %${bounds.maxP99LatencyMs !== undefined ? `, p99 ≤ ${bounds.maxP99LatencyMs.toFixed(0)} ms` : ''}`);
            if (bounds.maxErrorRate > 0.5) say(`the target failed ${((bounds.maxErrorRate / 2) * 100).toFixed(0)} % of the baseline's requests: bounds derived from a failing baseline are loose; pass --max-error-rate and --max-p99`);
            return s;
          },
        };
      } else {
        const signal = o.signal;
        if (signal !== undefined && !isSignal(signal)) bad('signal', `"${signal}" is not one of ${SIGNALS.join(', ')}`);
        bounds ??= signalBounds(signal as Signal | undefined, number(o.above, 'above'), number(o.below, 'below'));
        if (signal !== undefined) {
          const low = signal === 'throughputPerSec';
          signals = (s) => {
            const vs = Object.values(s.values).filter((v) => Number.isFinite(v));
            return vs.length ? { [signal]: low ? Math.min(...vs) : Math.max(...vs) } : {};
          };
        } else signals = () => ({});
        source = prometheusSource({ url: o.prometheus as string, query: o.query as string, stepMs: intervalMs, backfillMs: parseDurationMs(o.backfill, '--backfill'), ...(o.token !== undefined ? { token: o.token } : {}) });
      }
      const threshold = number(o.threshold, 'threshold', 0, 1);
      const probationary = number(o.probationary, 'probationary', 0);
      const watcher = new Watcher({
        detector,
        ...(threshold !== undefined ? { scoreThreshold: threshold } : {}),
        ...(model ? { model } : {}),
        bounds: () => bounds,
        ...(signals ? { signals } : {}),
        stepMs: intervalMs,
        ...(probationary !== undefined ? { probationary } : {}),
        rearmMs: parseDurationMs(o.rearm, '--rearm'),
      });
      const interrupt = onInterrupt();
      let raised = 0;
      try {
        say(`watching ${o.target ?? `${o.prometheus} ${o.query}`} every ${intervalMs} ms with ${detector.name}${model ? ` and the forecaster (${model.horizonMs / 1000} s ahead, p ≥ ${model.threshold.toFixed(2)})` : ''}; Ctrl-C to stop`);
        await runWatch({
          source,
          watcher,
          intervalMs,
          signal: interrupt.signal,
          ...(o.duration !== undefined ? { durationMs: parseDurationMs(o.duration, '--duration') } : {}),
          onWarning: (w) => {
            raised++;
            if (c.json) process.stdout.write(`${JSON.stringify(w)}\n`);
            else process.stdout.write(`${renderWarning(w)}\n`);
          },
        });
      } finally {
        interrupt.dispose();
      }
      if (raised > 0) process.exitCode = 1;
    });
}

/** A RegisterCommands for program.ts: adds the subcommands to `observe` (created here when it does not exist yet). */
export const register: RegisterCommands = (program, ctx) => {
  const observe = program.commands.find((cmd) => cmd.name() === 'observe') ?? program.command('observe').description('anomaly detection and early warning over metric series');
  registerObserveWatch(observe, ctx);
};

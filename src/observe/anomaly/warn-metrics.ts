/**
 * How good a warner is, on a labelled run: the lead time it gave before each steady-state violation and the false
 * alarms it raised in between. Pure; used to evaluate (early-eval.ts) and to choose thresholds on training runs.
 *
 * Time base: a bucket's values are known at its end (`atMs + bucketMs`); that is when its alarm is raised. A
 * violation starting at `s` is seen by a plain steady-state check at `s + bucketMs` (the end of its first
 * violated bucket). A warning raised at `τ ≤ s` with `s + bucketMs − τ ≤ horizon` warns that violation; its lead
 * time is `s + bucketMs − τ` (so a warning from the bucket just before the violation leads by one bucket).
 * A raised alarm claims "a violation starts within the horizon": a false alarm is an alarm raised (or still up
 * one horizon after the last false alarm) when no violation starts within the horizon. So an alarm left up for an
 * hour without a violation counts one false alarm per horizon, and an always-on warner cannot look cheap.
 */
import type { ViolationInterval } from './warn-corpus.js';

export interface LabelledTimeline {
  atMs: readonly number[];
  bucketMs: number;
  /** per bucket: v violated, s steady, n no traffic */
  verdicts: string;
  violations: readonly ViolationInterval[];
}

export interface WarnOptions {
  horizonMs: number;
  /** violations starting earlier, and alarms raised earlier, are not counted (the detectors' probationary period) */
  warmupMs: number;
}

export interface AlarmEval {
  /** violations that start after the warm-up */
  onsets: number;
  /** of those, warned within the horizon */
  warned: number;
  /** lead time of each warned violation, ms */
  leadTimesMs: number[];
  /** alarm episodes (runs of consecutive alarmed buckets) after the warm-up, outside violations */
  episodes: number;
  /** alarms raised when no violation followed within the horizon (a long one counted once per horizon) */
  falseAlarms: number;
  /** time outside violations after the warm-up, ms */
  nonViolationMs: number;
  /** of that, time with the alarm raised, ms */
  alarmMs: number;
}

/** `alarms[i]`: the warner's alarm at the end of bucket i (truthy = raised). Alarms in violated buckets are ignored. */
export function evaluateAlarms(run: LabelledTimeline, alarms: ArrayLike<unknown>, o: WarnOptions): AlarmEval {
  const { atMs, bucketMs, verdicts } = run;
  const n = atMs.length;
  const onsets = run.violations.map((v) => v.startMs).filter((s) => s >= o.warmupMs);
  const leadTimesMs: number[] = [];
  let warned = 0;
  for (const s of onsets) {
    const seenAt = s + bucketMs;
    let lead: number | undefined;
    for (let i = 0; i < n; i++) {
      const tau = (atMs[i] as number) + bucketMs;
      if (tau > s) break;
      if (tau < o.warmupMs || seenAt - tau > o.horizonMs) continue;
      if (verdicts[i] === 'v' || !alarms[i]) continue;
      lead = seenAt - tau;
      break;
    }
    if (lead !== undefined) {
      warned++;
      leadTimesMs.push(lead);
    }
  }
  let episodes = 0;
  let falseAlarms = 0;
  let nonViolationMs = 0;
  let alarmMs = 0;
  let prevAlarm = false;
  let falseUntil = -Infinity;
  for (let i = 0; i < n; i++) {
    const tau = (atMs[i] as number) + bucketMs;
    const counted = tau >= o.warmupMs && verdicts[i] !== 'v';
    const on = counted && Boolean(alarms[i]);
    if (counted) nonViolationMs += bucketMs;
    if (on) {
      alarmMs += bucketMs;
      if (!prevAlarm) episodes++;
      // the alarm says "a violation within the horizon": false when none starts in it; a false alarm that stays up
      // counts again each horizon it stays up without a violation
      const holds = onsets.some((s) => s >= tau && s + bucketMs - tau <= o.horizonMs);
      if (!holds && (!prevAlarm || tau >= falseUntil)) {
        falseAlarms++;
        falseUntil = tau + o.horizonMs;
      }
    }
    prevAlarm = on;
  }
  return { onsets: onsets.length, warned, leadTimesMs, episodes, falseAlarms, nonViolationMs, alarmMs };
}

export interface WarnSummary {
  violations: number;
  warned: number;
  /** warned / violations */
  warnedShare: number;
  /** over the warned violations, seconds; null when none was warned */
  leadMedianS: number | null;
  leadP10S: number | null;
  leadMeanS: number | null;
  falseAlarms: number;
  falseAlarmsPerHour: number;
  /** share of the non-violation time spent with the alarm raised */
  alarmTimeShare: number;
  nonViolationHours: number;
}

/** the q-quantile (0…1) of sorted values, linear interpolation */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  const a = sorted[i] as number;
  return f === 0 ? a : a + f * ((sorted[Math.min(i + 1, sorted.length - 1)] as number) - a);
}

export function summarizeAlarms(evals: readonly AlarmEval[]): WarnSummary {
  let onsets = 0;
  let warned = 0;
  let falseAlarms = 0;
  let nonViolationMs = 0;
  let alarmMs = 0;
  const leads: number[] = [];
  for (const e of evals) {
    onsets += e.onsets;
    warned += e.warned;
    falseAlarms += e.falseAlarms;
    nonViolationMs += e.nonViolationMs;
    alarmMs += e.alarmMs;
    leads.push(...e.leadTimesMs);
  }
  leads.sort((a, b) => a - b);
  const hours = nonViolationMs / 3_600_000;
  const s = (ms: number): number => Math.round(ms) / 1000;
  return {
    violations: onsets,
    warned,
    warnedShare: onsets === 0 ? 0 : warned / onsets,
    leadMedianS: leads.length ? s(quantileSorted(leads, 0.5)) : null,
    leadP10S: leads.length ? s(quantileSorted(leads, 0.1)) : null,
    leadMeanS: leads.length ? s(leads.reduce((a, b) => a + b, 0) / leads.length) : null,
    falseAlarms,
    falseAlarmsPerHour: hours > 0 ? falseAlarms / hours : 0,
    alarmTimeShare: nonViolationMs > 0 ? alarmMs / nonViolationMs : 0,
    nonViolationHours: hours,
  };
}

export interface ScoredRun {
  run: LabelledTimeline;
  /** one score per bucket; the alarm is `score ≥ threshold` */
  scores: ArrayLike<number>;
}

export interface ThresholdChoice {
  threshold: number;
  summary: WarnSummary;
}

/**
 * The threshold to use on new runs, chosen on these (training) runs: among candidate thresholds (quantiles of the
 * scores outside violations), the one that warns the most violations with at most `maxFalseAlarmsPerHour`, then
 * the one with the most lead time; remaining ties go to the higher threshold. When no candidate meets the budget, the one with the fewest false alarms per hour.
 */
export function chooseThreshold(runs: readonly ScoredRun[], o: WarnOptions & { maxFalseAlarmsPerHour: number; candidates?: number }): ThresholdChoice {
  const pool: number[] = [];
  for (const r of runs) {
    for (let i = 0; i < r.run.atMs.length; i++) if (r.run.verdicts[i] !== 'v') pool.push(r.scores[i] as number);
  }
  pool.sort((a, b) => a - b);
  const k = o.candidates ?? 120;
  const cands = new Set<number>();
  for (let j = 0; j <= k; j++) {
    // denser near the top, where useful thresholds of rare alarms are
    const q = 1 - (1 - j / k) ** 3;
    const v = quantileSorted(pool, q);
    if (Number.isFinite(v)) cands.add(v);
  }
  const top = pool.length ? (pool[pool.length - 1] as number) : 1;
  cands.add(top + Math.max(1e-9, Math.abs(top) * 1e-9));
  let best: ThresholdChoice | undefined;
  let leastFalse: ThresholdChoice | undefined;
  for (const thr of [...cands].sort((a, b) => b - a)) {
    const summary = summarizeAlarms(runs.map((r) => evaluateAlarms(r.run, alarmsAt(r.scores, thr), o)));
    const choice = { threshold: thr, summary };
    if (!leastFalse || summary.falseAlarmsPerHour < leastFalse.summary.falseAlarmsPerHour) leastFalse = choice;
    if (summary.falseAlarmsPerHour <= o.maxFalseAlarmsPerHour && (!best || summary.warned > best.summary.warned || (summary.warned === best.summary.warned && leadSum(summary) > leadSum(best.summary) + 1e-9))) best = choice;
  }
  return (best ?? leastFalse) as ThresholdChoice;
}

const leadSum = (s: WarnSummary): number => (s.leadMeanS ?? 0) * s.warned;

export function alarmsAt(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const a = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) a[i] = (scores[i] as number) >= threshold ? 1 : 0;
  return a;
}

/** Area under the ROC curve of scores against 0/1 labels (Mann–Whitney, ties counted half); NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let pos = 0;
  let rankSum = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if ((labels[idx[k] as number] as number) > 0.5) {
        pos++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

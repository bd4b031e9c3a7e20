/**
 * Coverage without setting anything up: runs a project's test command with NODE_V8_COVERAGE (Node's own
 * coverage, inherited by every process the tests start), then has c8 turn the raw V8 data into istanbul
 * reports (coverage-summary.json, coverage-final.json), following source maps back to TypeScript sources.
 * c8 is the well-kept tool for exactly this (used by node's own ecosystem); we call its CLI so its
 * source-map and `--all` handling is the real one.
 *
 * Processes that the tests stop with SIGKILL write no coverage (V8 writes it at exit): stop services with
 * SIGTERM and exit in its handler.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FaultlineError } from '../core/errors.js';

export interface CollectOptions {
  /** the project folder: tests run there, and sources under it are reported (`--all`: unloaded files count as 0 %) */
  cwd: string;
  /** the test command line, run with /bin/sh -c */
  command: string;
  /** where the reports go (emptied first) */
  reportDir: string;
  timeoutMs: number;
  /** globs excluded from the report, besides c8's defaults (test files, node_modules) */
  exclude?: string[];
  env?: Record<string, string>;
  progress?: (line: string) => void;
}

export interface CollectedCoverage {
  summary: string;
  final: string;
  testExitCode: number | null;
  testMs: number;
  reportMs: number;
  /** the last lines of the test output when it failed */
  testOutput?: string;
}

interface Ran {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
  ms: number;
}

function run(cmd: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    const keep = (d: Buffer): void => void (output = (output + d.toString('utf8')).slice(-200_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, o.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ exitCode: code, timedOut, output, ms: performance.now() - t0 });
    });
  });
}

/** The path of c8's CLI (a dependency of faultline). */
export function c8Bin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('c8/package.json')), 'bin', 'c8.js');
}

/**
 * Runs the tests under V8 coverage and writes istanbul reports. The reports are written even when tests
 * fail (coverage of a failing suite is still what it is); the caller decides what a failing suite means.
 */
export async function collectCoverage(o: CollectOptions): Promise<CollectedCoverage> {
  const raw = join(o.reportDir, '.v8');
  rmSync(o.reportDir, { recursive: true, force: true });
  mkdirSync(raw, { recursive: true });
  const say = o.progress ?? (() => {});
  say(`coverage: running \`${o.command}\` in ${o.cwd} with NODE_V8_COVERAGE`);
  let test: Ran;
  try {
    test = await run('/bin/sh', ['-c', o.command], { cwd: o.cwd, env: { ...process.env, ...o.env, NODE_V8_COVERAGE: raw }, timeoutMs: o.timeoutMs });
  } catch (e) {
    throw new FaultlineError('FL_ERR_COVERAGE_REPORT', `could not start the test command \`${o.command}\` in ${o.cwd}: ${(e as Error).message}`, { cause: e });
  }
  if (test.timedOut) throw new FaultlineError('FL_ERR_COVERAGE_REPORT', `the test command \`${o.command}\` did not finish within ${Math.round(o.timeoutMs / 1000)} s; no coverage was written`, { context: { command: o.command } });
  const args = [c8Bin(), 'report', '--temp-directory', raw, '--report-dir', o.reportDir, '--reporter=json-summary', '--reporter=json', '--src', o.cwd, '--all', '--exclude-after-remap'];
  for (const g of ['dist/**', 'build/**', 'coverage/**', '**/*.d.ts', ...(o.exclude ?? [])]) args.push('--exclude', g);
  // c8's default excludes (test files, node_modules…) are replaced by --exclude: add them back
  for (const g of ['test/**', 'tests/**', '**/*.test.*', '**/*.spec.*', '**/__tests__/**', '**/node_modules/**']) args.push('--exclude', g);
  const report = await run(process.execPath, args, { cwd: o.cwd, env: process.env, timeoutMs: o.timeoutMs });
  const summary = join(o.reportDir, 'coverage-summary.json');
  const final = join(o.reportDir, 'coverage-final.json');
  if (report.exitCode !== 0 || !existsSync(summary)) {
    throw new FaultlineError('FL_ERR_COVERAGE_REPORT', `c8 could not write the coverage report (exit ${report.exitCode}): ${report.output.trim().split('\n').slice(-5).join(' / ')}`, { context: { command: o.command } });
  }
  rmSync(raw, { recursive: true, force: true });
  return {
    summary,
    final,
    testExitCode: test.exitCode,
    testMs: test.ms,
    reportMs: report.ms,
    ...(test.exitCode !== 0 ? { testOutput: test.output.trim().split('\n').slice(-20).join('\n') } : {}),
  };
}

/** Chaos Toolkit's `process` provider: runs a local program; output {status, stdout, stderr}. */
import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { timeoutMs } from './http.js';
import { ActivityFailed, isObj, type ProviderModule, type ProviderProblem } from './types.js';

/** Splits a command line as POSIX shells do for words and quotes (no expansion), like Python's shlex.split. */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1] as string)) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new ActivityFailed(`arguments: unterminated ${quote} quote in "${s}"`);
  if (inWord) out.push(cur);
  return out;
}

/** CTK's arguments: a string (split like a shell), a list, or a mapping turned into `--key value` pairs. */
export function argv(args: unknown): string[] {
  if (args === undefined || args === null) return [];
  if (typeof args === 'string') return shellSplit(args);
  if (Array.isArray(args)) return args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
  if (isObj(args)) return Object.entries(args).flatMap(([k, v]) => (v === null || v === '' || v === true ? [`--${k}`] : v === false ? [] : [`--${k}`, typeof v === 'string' ? v : JSON.stringify(v)]));
  return [String(args)];
}

const MAX_OUTPUT = 1 << 20;

export const processProvider: ProviderModule = {
  type: 'process',
  validate(p) {
    const out: ProviderProblem[] = [];
    if (typeof p.path !== 'string' || p.path === '') out.push({ path: ['path'], message: 'required: the program to run (absolute, relative to the experiment, or a name on PATH)' });
    if (p.arguments !== undefined && p.arguments !== null && typeof p.arguments !== 'string' && !Array.isArray(p.arguments) && !isObj(p.arguments)) out.push({ path: ['arguments'], message: 'expected a string, a list or a mapping' });
    if (p.timeout !== undefined && (timeoutMs(p.timeout) === undefined || (timeoutMs(p.timeout) as number) <= 0)) out.push({ path: ['timeout'], message: 'expected seconds (e.g. 10)' });
    if (p.env !== undefined && !isObj(p.env)) out.push({ path: ['env'], message: 'expected a mapping of variable name to value' });
    return out;
  },
  run(p, ctx) {
    const path = String(p.path);
    // a relative path with a slash is relative to the experiment; a bare name is looked up on PATH
    const program = path.includes('/') && !isAbsolute(path) ? resolve(ctx.cwd, path) : path;
    const args = argv(p.arguments);
    const env = { ...process.env, ...Object.fromEntries(Object.entries(isObj(p.env) ? p.env : {}).map(([k, v]) => [k, String(v)])) };
    const limit = timeoutMs(p.timeout);
    return new Promise((resolveRun, reject) => {
      const child = spawn(program, args, { cwd: ctx.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let why: string | undefined;
      child.stdout.on('data', (d: Buffer) => void (stdout.length < MAX_OUTPUT && (stdout += d.toString())));
      child.stderr.on('data', (d: Buffer) => void (stderr.length < MAX_OUTPUT && (stderr += d.toString())));
      const kill = (reason: string): void => {
        why ??= reason;
        child.kill('SIGKILL');
      };
      const timer = limit === undefined ? undefined : setTimeout(() => kill(`did not finish within ${limit / 1000} s (timeout); killed`), limit);
      const onAbort = (): void => kill('stopped (the run was halted or interrupted)');
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        if (timer) clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        done();
        reject(new ActivityFailed(`${path}: could not be started (${e.code ?? e.message})`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        done();
        if (why) reject(new ActivityFailed(`${path}: ${why}`));
        else if (code === null) reject(new ActivityFailed(`${path}: ended by signal ${String(signal)}`));
        else resolveRun({ status: code, stdout, stderr });
      });
    });
  },
  describe: (p) => `run ${[String(p.path), ...(() => {
    try {
      return argv(p.arguments);
    } catch {
      return [String(p.arguments)];
    }
  })()].join(' ')}`,
  injects: () => false,
};

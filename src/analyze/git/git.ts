/**
 * The one place that spawns `git`. Output is streamed and split into lines in-process (no buffering of a whole
 * `git log -p`), and every run gets the same options: no pager, no colour, no external diff or textconv, paths
 * not quoted, so the parsers see the same text whatever the user's git config says.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { FaultlineError } from '../../core/errors.js';

/** Where the repository is: a work tree (`repo`) or a git directory, bare or not (`gitDir`). */
export interface RepoRef {
  repo?: string;
  gitDir?: string;
}

const CONFIG = ['-c', 'core.quotePath=false', '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false', '-c', 'log.showSignature=false', '-c', 'color.ui=false'];

/** The arguments that select the repository, checked to exist. */
export function repoArgs(ref: RepoRef): string[] {
  if (ref.gitDir !== undefined) {
    const dir = resolve(ref.gitDir);
    if (!existsSync(join(dir, 'HEAD')) || !existsSync(join(dir, 'objects'))) {
      throw new FaultlineError('FL_ERR_GIT_NOT_REPO', `${dir} is not a git directory (no HEAD and objects/ in it); pass the .git folder or a bare repository`, { context: { gitDir: dir } });
    }
    return ['--git-dir', dir];
  }
  const repo = resolve(ref.repo ?? '.');
  if (!existsSync(repo) || !statSync(repo).isDirectory()) {
    throw new FaultlineError('FL_ERR_GIT_NOT_REPO', `${repo} is not a folder; pass --repo with the path of a git work tree`, { context: { repo } });
  }
  return ['-C', repo];
}

function gitError(args: string[], code: number | null, stderr: string): FaultlineError {
  const cmd = `git ${args.join(' ')}`;
  const shortCmd = cmd.length > 300 ? `${cmd.slice(0, 300)}…` : cmd;
  if (/not a git repository/i.test(stderr)) {
    return new FaultlineError('FL_ERR_GIT_NOT_REPO', `not a git repository: ${stderr.trim()}`, { context: { command: shortCmd } });
  }
  return new FaultlineError('FL_ERR_GIT_FAILED', `\`${shortCmd}\` exited with ${code}: ${stderr.trim().slice(0, 2000)}`, { context: { command: shortCmd, exitCode: code } });
}

/**
 * Runs git and calls `onLine` for every line of its standard output (without the newline), in order.
 * `input` is written to git's standard input (for --stdin). Rejects with FL_ERR_GIT_FAILED on a non-zero exit.
 */
export function gitLines(ref: RepoRef, args: string[], onLine: (line: string) => void, input?: string): Promise<void> {
  const full = [...CONFIG, ...repoArgs(ref), ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', full, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_PAGER: 'cat', LC_ALL: 'C' } });
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let stderr = '';
    let failed: unknown;
    const { stdout, stderr: errStream } = child;
    if (stdout === null || errStream === null) throw new FaultlineError('FL_ERR_INTERNAL', 'git was spawned without output pipes');
    stdout.on('data', (chunk: Buffer) => {
      if (failed !== undefined) return;
      const text = rest + decoder.write(chunk);
      let start = 0;
      try {
        for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
          onLine(text.slice(start, nl));
          start = nl + 1;
        }
      } catch (e) {
        failed = e;
        child.kill('SIGTERM');
        return;
      }
      rest = text.slice(start);
    });
    errStream.on('data', (chunk: Buffer) => {
      if (stderr.length < 8000) stderr += chunk.toString('utf8');
    });
    child.on('error', (e) => reject(new FaultlineError('FL_ERR_GIT_FAILED', `could not run git (${e.message}); install git and put it on PATH`, { cause: e })));
    child.on('close', (code) => {
      if (failed !== undefined) return reject(failed);
      if (code !== 0) return reject(gitError(args, code, stderr));
      try {
        const last = rest + decoder.end();
        if (last.length > 0) onLine(last);
      } catch (e) {
        return reject(e);
      }
      resolvePromise();
    });
    if (input !== undefined && child.stdin !== null) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/** Runs git and returns its whole standard output (for short outputs: rev-parse, one blame). */
export async function gitText(ref: RepoRef, args: string[], input?: string): Promise<string> {
  const out: string[] = [];
  await gitLines(ref, args, (l) => out.push(l), input);
  return out.join('\n');
}

/** The commit id HEAD (or `rev`) points to. */
export async function resolveRev(ref: RepoRef, rev = 'HEAD'): Promise<string> {
  return (await gitText(ref, ['rev-parse', '--verify', `${rev}^{commit}`])).trim();
}

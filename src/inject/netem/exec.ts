import { spawn } from 'node:child_process';
import { FaultlineError } from '../../core/errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one system command (ip, nft, iptables, tc). Behind an interface so unit tests can record the calls. */
export interface CommandRunner {
  run(cmd: string, args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<CommandResult>;
}

/** Runs commands for real; a missing binary answers code 127 like a shell would. */
export const systemRunner: CommandRunner = {
  run(cmd, args, options = {}) {
    return new Promise((resolve) => {
      const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      let stdout = '';
      let stderr = '';
      let settled = false;
      const timer = setTimeout(() => {
        stderr += `\ntimed out after ${options.timeoutMs ?? 10_000} ms`;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? 10_000);
      const finish = (r: CommandResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (err: NodeJS.ErrnoException) => finish({ code: err.code === 'ENOENT' ? 127 : 126, stdout, stderr: err.message }));
      child.on('close', (code, signal) => finish({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  },
};

/** Runs a command and throws FL_ERR_NETNS_COMMAND (with the command line and stderr) when it fails. */
export async function runOrThrow(runner: CommandRunner, cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await runner.run(cmd, args, input === undefined ? {} : { input });
  if (r.code !== 0) {
    const line = [cmd, ...args].join(' ');
    throw new FaultlineError('FL_ERR_NETNS_COMMAND', `\`${line}\` failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}${input ? `\ninput:\n${input}` : ''}`, {
      context: { cmd: line, exit: r.code, stderr: r.stderr },
    });
  }
  return r.stdout;
}


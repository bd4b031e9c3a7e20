// Builds small git repositories with fixed author/committer dates for the history-mining tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const DAY = 86_400;
export const T0 = 1_700_000_000; // 2023-11-14

export class GitFixture {
  readonly dir: string;
  private tick = 0;
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'faultline-git-'));
    this.git('init', '-q', '-b', 'main');
  }
  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: this.date(), GIT_COMMITTER_DATE: this.date() },
    }).trim();
  }
  /** the time the next commit gets: one day after the previous one unless given */
  private date(): string {
    return `@${T0 + this.tick * DAY} +0000`;
  }
  write(path: string, text: string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), text);
  }
  move(from: string, to: string): void {
    mkdirSync(dirname(join(this.dir, to)), { recursive: true });
    renameSync(join(this.dir, from), join(this.dir, to));
  }
  remove(path: string): void {
    unlinkSync(join(this.dir, path));
  }
  /** writes the files, commits everything with the message, returns the commit id */
  commit(message: string, files: Record<string, string> = {}, opts: { author?: string; day?: number } = {}): string {
    this.tick = opts.day ?? this.tick + 1;
    for (const [p, t] of Object.entries(files)) this.write(p, t);
    this.git('add', '-A');
    const author = opts.author ?? 'Test <test@example.com>';
    this.git('commit', '-q', '--allow-empty', '-m', message, `--author=${author}`);
    return this.git('rev-parse', 'HEAD');
  }
  time(day: number): number {
    return T0 + day * DAY;
  }
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function lines(...ls: string[]): string {
  return ls.join('\n') + '\n';
}

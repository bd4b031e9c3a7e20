/**
 * The git commands the engine needs, run with `git -C <dir>` and no shell. Nothing here writes to a working
 * tree except the functions whose names say so (`*InWorktree`, and `applyCommits`/`revertOnCurrentBranch`,
 * which the CLI calls only after `isClean` said yes).
 */
import { execFile } from 'node:child_process';
import { FaultlineError } from '../../core/errors.js';

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Author and committer of the engine's commits when the repository has none configured. */
const FALLBACK_IDENTITY = { GIT_AUTHOR_NAME: 'faultline', GIT_AUTHOR_EMAIL: 'faultline@localhost', GIT_COMMITTER_NAME: 'faultline', GIT_COMMITTER_EMAIL: 'faultline@localhost' };

/** Runs git; resolves with the exit code (never rejects on a non-zero exit). */
export function gitRun(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<GitResult> {
  return new Promise((res, rej) => {
    execFile('git', ['-C', dir, ...args], { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env } }, (err, stdout, stderr) => {
      // a non-zero exit has a numeric code; a string code (ENOENT, ERR_CHILD_PROCESS_STDIO_MAXBUFFER) means git did not run to the end
      const raw: unknown = err ? (err as { code?: unknown }).code : 0;
      const code = typeof raw === 'number' ? raw : -1;
      if (err && code === -1) {
        rej(new FaultlineError('FL_ERR_GIT_FAILED', `git ${args.join(' ')} in ${dir}: ${err.message}`, { cause: err }));
        return;
      }
      res({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}

/** Runs git and returns stdout; FL_ERR_GIT_FAILED with git's stderr on a non-zero exit. */
export async function git(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const r = await gitRun(dir, args, env);
  if (r.code !== 0) throw new FaultlineError('FL_ERR_GIT_FAILED', `git ${args.join(' ')} in ${dir} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`, { context: { args, dir } });
  return r.stdout;
}

/** The top folder of the work tree that holds `path`, or FL_ERR_GIT_NOT_REPO. */
export async function repoRoot(path: string): Promise<string> {
  const r = await gitRun(path, ['rev-parse', '--show-toplevel']).catch(() => undefined);
  if (!r || r.code !== 0) throw new FaultlineError('FL_ERR_GIT_NOT_REPO', `${path} is not inside a git work tree; pass --repo with the project folder (refactor needs a work tree with at least one commit)`, { context: { repo: path } });
  return r.stdout.trim();
}

export async function headCommit(repo: string): Promise<string> {
  const r = await gitRun(repo, ['rev-parse', '--verify', 'HEAD^{commit}']);
  if (r.code !== 0) throw new FaultlineError('FL_ERR_GIT_NOT_REPO', `${repo} has no commit yet; commit the code first (refactor works from HEAD)`, { context: { repo } });
  return r.stdout.trim();
}

/** The checked-out branch, or undefined on a detached HEAD. */
export async function currentBranch(repo: string): Promise<string | undefined> {
  const r = await gitRun(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Tracked files with uncommitted changes (staged or not), and untracked files, from `git status --porcelain`. */
export async function workingTreeChanges(repo: string): Promise<{ tracked: string[]; untracked: string[] }> {
  const out = await git(repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const tracked: string[] = [];
  const untracked: string[] = [];
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const e = parts[i] as string;
    if (e.length < 4) continue;
    const status = e.slice(0, 2);
    const path = e.slice(3);
    if (status === '??') untracked.push(path);
    else tracked.push(path);
    if (status[0] === 'R' || status[0] === 'C') i++; // the rename's source follows
  }
  return { tracked, untracked };
}

/** No uncommitted change to a tracked file (untracked files do not count: git refuses to overwrite them). */
export async function isClean(repo: string): Promise<boolean> {
  return (await workingTreeChanges(repo)).tracked.length === 0;
}

/** A file's text at a revision, or undefined when it does not exist there. */
export async function showFile(repo: string, rev: string, path: string): Promise<string | undefined> {
  const r = await gitRun(repo, ['show', `${rev}:${path}`]);
  return r.code === 0 ? r.stdout : undefined;
}

export async function branchExists(repo: string, branch: string): Promise<boolean> {
  return (await gitRun(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])).code === 0;
}

/** `git worktree add -b <branch> <dir> <base>`: a new branch checked out in a new folder; the user's tree is untouched. */
export async function addWorktree(repo: string, dir: string, branch: string, base: string): Promise<void> {
  await git(repo, ['worktree', 'add', '--quiet', '-b', branch, dir, base]);
}

/** An existing branch checked out in a new folder (detached from every other work tree). */
export async function addWorktreeOnBranch(repo: string, dir: string, branch: string): Promise<void> {
  await git(repo, ['worktree', 'add', '--quiet', dir, branch]);
}

/** Removes the folder and its administrative files; the branch stays. */
export async function removeWorktree(repo: string, dir: string): Promise<void> {
  await gitRun(repo, ['worktree', 'remove', '--force', dir]);
  await gitRun(repo, ['worktree', 'prune']);
}

/** Commits exactly `paths` in the worktree; returns the new commit. */
export async function commitInWorktree(dir: string, paths: readonly string[], message: string): Promise<string> {
  await git(dir, ['add', '--', ...paths]);
  const id = await identityEnv(dir);
  await git(dir, ['commit', '--quiet', '--no-verify', '-m', message, '--', ...paths], id);
  return (await git(dir, ['rev-parse', 'HEAD'])).trim();
}

/** Puts `paths` back as committed (a fix that failed verification). */
export async function restoreInWorktree(dir: string, paths: readonly string[]): Promise<void> {
  await git(dir, ['checkout', '--', ...paths]);
}

/** The fallback identity when the repository has none (a CI checkout often has none). */
export async function identityEnv(dir: string): Promise<Record<string, string>> {
  const name = await gitRun(dir, ['config', 'user.name']);
  const email = await gitRun(dir, ['config', 'user.email']);
  if (name.code === 0 && email.code === 0 && name.stdout.trim() && email.stdout.trim()) return {};
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(FALLBACK_IDENTITY)) if (!process.env[k]) env[k] = v;
  return env;
}

/** True when `commit` is reachable from `ref`. */
export async function isAncestor(repo: string, commit: string, ref: string): Promise<boolean> {
  return (await gitRun(repo, ['merge-base', '--is-ancestor', commit, ref])).code === 0;
}

/**
 * Brings `commits` (oldest first) onto the checked-out branch of the user's (clean) tree: a fast-forward to
 * `branchTip` when the commits are the whole branch above HEAD, else a cherry-pick of each. Returns the new
 * commit for each input commit. On a conflict the cherry-pick is aborted (the tree is as it was) and
 * FL_ERR_REFACTOR_APPLY is thrown.
 */
export async function applyCommits(repo: string, commits: readonly string[], branchTip: string): Promise<{ method: 'fast-forward' | 'cherry-pick'; applied: Map<string, string> }> {
  const head = await headCommit(repo);
  const applied = new Map<string, string>();
  const onBranch = (await git(repo, ['rev-list', '--reverse', `${head}..${branchTip}`])).split('\n').filter(Boolean);
  const whole = onBranch.length === commits.length && onBranch.every((c, i) => c === commits[i]);
  if (whole && (await isAncestor(repo, head, branchTip))) {
    const r = await gitRun(repo, ['merge', '--ff-only', '--quiet', branchTip]);
    if (r.code !== 0) throw new FaultlineError('FL_ERR_REFACTOR_APPLY', `git merge --ff-only ${branchTip} failed: ${r.stderr.trim()}`);
    for (const c of commits) applied.set(c, c);
    return { method: 'fast-forward', applied };
  }
  const id = await identityEnv(repo);
  for (const c of commits) {
    const r = await gitRun(repo, ['cherry-pick', '--allow-empty', c], id);
    if (r.code !== 0) {
      await gitRun(repo, ['cherry-pick', '--abort']);
      // the picks already made stay out too: the tree is as it was before --apply
      if (applied.size > 0) await git(repo, ['reset', '--hard', '--quiet', head]);
      throw new FaultlineError('FL_ERR_REFACTOR_APPLY', `cherry-pick of ${c.slice(0, 10)} onto ${head.slice(0, 10)} failed, so no fix was applied: ${r.stderr.trim() || r.stdout.trim()}`, { context: { commit: c } });
    }
    applied.set(c, (await git(repo, ['rev-parse', 'HEAD'])).trim());
  }
  return { method: 'cherry-pick', applied };
}

/** `git revert --no-edit <commit>` in a clean tree (the checked-out branch, or a worktree on the refactor branch). */
export async function revertCommit(dir: string, commit: string): Promise<string> {
  const id = await identityEnv(dir);
  const r = await gitRun(dir, ['revert', '--no-edit', commit], id);
  if (r.code !== 0) {
    await gitRun(dir, ['revert', '--abort']);
    throw new FaultlineError('FL_ERR_REFACTOR_APPLY', `git revert ${commit.slice(0, 10)} failed (a later change touches the same lines?): ${r.stderr.trim() || r.stdout.trim()}`, { context: { commit } });
  }
  return (await git(dir, ['rev-parse', 'HEAD'])).trim();
}

/** Deletes a branch (the refactor branch of a run that committed nothing). */
export async function deleteBranch(repo: string, branch: string): Promise<void> {
  await gitRun(repo, ['branch', '-D', '--quiet', branch]);
}

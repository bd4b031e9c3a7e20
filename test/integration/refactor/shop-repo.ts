// A copy of examples/shop in a temp git repository (node_modules linked to this checkout's), on free ports, with
// the shop built as its user would have it: what the end-to-end tests of the bundled example run against, so the
// refactor branches and worktrees are made there, not in this checkout.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { freePort } from '../cli/helpers.js';

export const ROOT = resolve(__dirname, '../../..');
export const BIN = join(ROOT, 'bin', 'faultline.js');
export const SHOP = 'examples/shop';
export const CONFIG = `${SHOP}/faultline.yaml`;
const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };

export interface ShopRepo {
  tmp: string;
  repo: string;
  state: string;
  env: NodeJS.ProcessEnv;
  git(...args: string[]): string;
  /** bin/faultline.js --json --config examples/shop/faultline.yaml <args>, in the repository */
  faultline(...args: string[]): { code: number | null; stdout: string; stderr: string; json: any };
  /** every file of the work tree (not .git, not the node_modules link) with its bytes */
  snapshot(): Record<string, string>;
  cleanup(): void;
}

export async function shopRepo(prefix = 'fl-shop-'): Promise<ShopRepo> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const repo = join(tmp, 'repo');
  const state = join(tmp, 'state');
  mkdirSync(join(repo, 'examples'), { recursive: true });
  cpSync(join(ROOT, SHOP), join(repo, SHOP), { recursive: true, filter: (src) => !/[/\\](dist|\.faultline|node_modules)$/.test(src) });
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  writeFileSync(join(repo, '.gitignore'), 'node_modules\ndist/\n.faultline/\n');
  const git = (...args: string[]): string => {
    const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'the shop');
  const [api, pricing, link, proxyApi] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = { ...process.env, CI: '1', FAULTLINE_STATE_DIR: state, SHOP_API_PORT: String(api), SHOP_PRICING_PORT: String(pricing), SHOP_PRICING_LINK_PORT: String(link), FAULTLINE_API_PORT: String(proxyApi) };
  // the user has built the shop (dist/ is ignored by git)
  const built = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: join(repo, SHOP), encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the shop failed: ${built.stdout}${built.stderr}`);
  return {
    tmp,
    repo,
    state,
    env,
    git,
    faultline(...args) {
      const r = spawnSync(process.execPath, [BIN, '--json', '--config', CONFIG, ...args], { cwd: repo, encoding: 'utf8', timeout: 540_000, env });
      let json: unknown;
      try {
        json = JSON.parse(r.stdout);
      } catch {
        json = undefined;
      }
      return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
    },
    snapshot() {
      const out: Record<string, string> = {};
      const walk = (d: string): void => {
        for (const e of readdirSync(d)) {
          const p = join(d, e);
          const rel = relative(repo, p);
          if (rel === '.git' || rel === 'node_modules') continue;
          if (statSync(p).isDirectory()) walk(p);
          else out[rel] = readFileSync(p).toString('base64');
        }
      };
      walk(repo);
      return out;
    },
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mineHistory } from '../../../../src/analyze/git/index.js';
import { isFaultlineError } from '../../../../src/core/errors.js';
import { GitFixture, lines } from './git-fixture.js';

describe('mineHistory', () => {
  const g = new GitFixture();
  let bare = '';
  const c: Record<string, string> = {};
  beforeAll(() => {
    c.a = g.commit('feat: start', { 'src/a/util.ts': lines('one', 'two', 'three'), 'img.bin': '\0\x01\x02binary' }, { author: 'Ann <Ann@Example.com>' });
    g.move('src/a/util.ts', 'src/b/util.ts');
    g.write('src/b/util.ts', lines('one', 'two', 'three', 'four'));
    c.b = g.commit('refactor: move util');
    g.move('src/b/util.ts', 'lib/helpers.ts');
    c.c = g.commit('refactor: move again');
    g.remove('img.bin');
    c.d = g.commit('chore: drop image', { 'src/new.js': 'x\n' });
    bare = mkdtempSync(join(tmpdir(), 'faultline-bare-'));
    execFileSync('git', ['clone', '-q', '--bare', g.dir, bare]);
  });
  afterAll(() => {
    g.cleanup();
    rmSync(bare, { recursive: true, force: true });
  });

  it('reads commits oldest first with authors, times, subjects and numstat; resolves both rename forms; binary counts 0', async () => {
    const { head, commits } = await mineHistory({ repo: g.dir });
    expect(head).toBe(c.d);
    expect(commits.map((x) => x.sha)).toEqual([c.a, c.b, c.c, c.d]);
    const [a, b, cc, d] = commits;
    expect(a).toMatchObject({ parents: [], authorEmail: 'ann@example.com', authorName: 'Ann', time: g.time(1), subject: 'feat: start' });
    expect(a?.files).toEqual(expect.arrayContaining([{ path: 'img.bin', added: 0, deleted: 0, status: 'added' }, { path: 'src/a/util.ts', added: 3, deleted: 0, status: 'added' }]));
    expect(b?.files).toEqual([{ path: 'src/b/util.ts', oldPath: 'src/a/util.ts', added: 1, deleted: 0 }]);
    expect(cc?.files).toEqual([{ path: 'lib/helpers.ts', oldPath: 'src/b/util.ts', added: 0, deleted: 0 }]);
    expect(d?.files).toEqual(expect.arrayContaining([{ path: 'img.bin', added: 0, deleted: 0, status: 'deleted' }, { path: 'src/new.js', added: 1, deleted: 0, status: 'added' }]));
    expect(b?.parents).toEqual([c.a]);
  });

  it('works on a bare repository and honours since, until and paths', async () => {
    const all = await mineHistory({ gitDir: bare });
    expect(all.commits).toHaveLength(4);
    const mid = await mineHistory({ gitDir: bare, since: g.time(2), until: g.time(3) });
    expect(mid.commits.map((x) => x.sha)).toEqual([c.b, c.c]);
    const dated = await mineHistory({ gitDir: bare, since: '2023-11-17 00:00 +0000' });
    expect(dated.commits.map((x) => x.sha)).toEqual([c.c, c.d]);
    const js = await mineHistory({ gitDir: bare, paths: ['*.js'] });
    expect(js.commits.map((x) => x.sha)).toEqual([c.d]);
    const old = await mineHistory({ gitDir: bare, rev: c.b, exclude: c.a });
    expect(old.commits.map((x) => x.sha)).toEqual([c.b]);
  });

  it('rejects a folder that is not a repository with FL_ERR_GIT_NOT_REPO and a bad revision with FL_ERR_GIT_FAILED', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'faultline-norepo-'));
    try {
      await expect(mineHistory({ gitDir: empty })).rejects.toSatisfy((e) => isFaultlineError(e, 'FL_ERR_GIT_NOT_REPO'));
      await expect(mineHistory({ repo: join(empty, 'missing') })).rejects.toSatisfy((e) => isFaultlineError(e, 'FL_ERR_GIT_NOT_REPO'));
      await expect(mineHistory({ repo: g.dir, rev: 'no-such-branch' })).rejects.toSatisfy((e) => isFaultlineError(e, 'FL_ERR_GIT_FAILED'));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

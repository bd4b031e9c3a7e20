/** An in-memory Workspace for the engine's tests: files, what was last committed, the commits made. */
import type { Workspace } from '../../../src/refactor/engine/workspace.js';

export class MemoryWorkspace implements Workspace {
  readonly dir = '/mem';
  readonly branch = 'faultline/refactor/r1';
  readonly baseCommit = 'base';
  committed: Map<string, string>;
  files: Map<string, string>;
  commits: { paths: string[]; message: string; id: string }[] = [];
  disposed = false;
  constructor(files: Record<string, string>) {
    this.files = new Map(Object.entries(files));
    this.committed = new Map(this.files);
  }
  read(p: string) {
    return this.files.get(p);
  }
  write(p: string, text: string) {
    this.files.set(p, text);
  }
  async restore(paths: readonly string[]) {
    for (const p of paths) this.files.set(p, this.committed.get(p) as string);
  }
  async commit(paths: readonly string[], message: string) {
    for (const p of paths) this.committed.set(p, this.files.get(p) as string);
    const id = `c${this.commits.length + 1}`.padEnd(40, '0');
    this.commits.push({ paths: [...paths], message, id });
    return id;
  }
  async dispose() {
    this.disposed = true;
  }
  list() {
    return [...this.committed.keys()];
  }
}

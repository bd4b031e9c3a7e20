import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a running agent writes so controllers can find it: <stateDir>/agents/<pid>.json (and FAULTLINE_AGENT_ANNOUNCE). */
export interface AgentAnnouncement {
  pid: number;
  host: string;
  port: number;
  /** present when FAULTLINE_AGENT_TOKEN is set; the file is readable by its owner only */
  token?: string;
  version: string;
  /** ISO-8601 */
  startedAt: string;
  argv: string[];
  cwd: string;
}

export function agentsDir(stateDir: string): string {
  return join(stateDir, 'agents');
}

export function announcementFile(stateDir: string, pid: number): string {
  return join(agentsDir(stateDir), `${pid}.json`);
}

/** Writes atomically (temp file + rename), mode 0600. */
export function writeAnnouncement(file: string, a: AgentAnnouncement): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(a)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function removeAnnouncement(file: string): void {
  rmSync(file, { force: true });
}

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface InitFindings {
  service: string;
  command: string;
  port?: number;
}

const PORT_PATTERNS = [/PORT[=:]\s*(\d{2,5})/, /--port[= ](\d{2,5})/, /\.listen\(\s*(\d{2,5})/, /process\.env\.PORT\s*(?:\|\||\?\?)\s*(\d{2,5})/];

function findPort(texts: string[]): number | undefined {
  for (const t of texts) {
    for (const re of PORT_PATTERNS) {
      const m = re.exec(t);
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

function sourceTexts(dir: string, depth = 2): string[] {
  const out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    const p = join(dir, e);
    if (/\.(m|c)?[jt]s$/.test(e)) {
      try {
        out.push(readFileSync(p, 'utf8').slice(0, 200_000));
      } catch {
        /* unreadable file: skip */
      }
    } else if (depth > 0 && !e.includes('.')) out.push(...sourceTexts(p, depth - 1));
    if (out.length > 200) break;
  }
  return out;
}

/** A starter faultline.yaml for the project in `dir`, from its package.json and sources. */
export function suggestConfig(dir: string): { yaml: string; found: InitFindings } {
  let pkg: { name?: string; main?: string; scripts?: Record<string, string> } = {};
  const pkgPath = join(dir, 'package.json');
  if (existsSync(pkgPath)) pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as typeof pkg;
  const service = (pkg.name ?? basename(dir)).replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9_-]/g, '-');
  const command = pkg.scripts?.start ? 'npm start' : pkg.main ? `node ${pkg.main}` : 'node index.js';
  const port = findPort([...Object.values(pkg.scripts ?? {}), ...sourceTexts(dir)]);
  const p = port ?? 3000;
  const yaml = `# faultline.yaml: see docs/reference/config.md
version: 1
services:
  ${service}:
    command: ${command}
    port: ${p}
    env:
      PORT: "${p}"
    health:
      http: http://127.0.0.1:${p}/
      timeout: 15s
    agent: true          # in-process faults via node --import faultline/agent
proxy:
  listen: 127.0.0.1:8474
  proxies: []            # e.g. - { name: db, listen: 127.0.0.1:15432, upstream: 127.0.0.1:5432 }
safeZones:
  routes: ["GET /health"]
  maxConcurrentFaults: 3
defaults:
  ttl: 60s
`;
  return { yaml, found: { service, command, ...(port !== undefined ? { port } : {}) } };
}

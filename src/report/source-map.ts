/**
 * Maps a compiled file:line:col back to its source through a Source Map v3 (`//# sourceMappingURL=` next to
 * the file, or inline as a base64 data: URL). The `mappings` field is decoded here (base64 VLQ, ECMA-426).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MapLocation } from './recommend.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one segment of base64 VLQ numbers ("AAAA" → [0, 0, 0, 0]); throws on a bad character. */
export function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of segment) {
    const digit = B64_INDEX.get(c);
    if (digit === undefined) throw new Error(`invalid base64 VLQ character ${JSON.stringify(c)}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  if (shift !== 0) throw new Error('truncated base64 VLQ value');
  return out;
}

/** [generated column, source index, original line, original column], all 0-based */
export type Mapping = [number, number, number, number];

/** Decodes `mappings` into one sorted list of segments per generated line (segments without a source are dropped). */
export function decodeMappings(mappings: string): Mapping[][] {
  const lines: Mapping[][] = [];
  let src = 0;
  let oLine = 0;
  let oCol = 0;
  for (const lineText of mappings.split(';')) {
    const line: Mapping[] = [];
    let gCol = 0;
    for (const seg of lineText.split(',')) {
      if (seg === '') continue;
      const v = decodeVlq(seg);
      gCol += v[0] as number;
      if (v.length >= 4) {
        src += v[1] as number;
        oLine += v[2] as number;
        oCol += v[3] as number;
        line.push([gCol, src, oLine, oCol]);
      }
    }
    lines.push(line.sort((a, b) => a[0] - b[0]));
  }
  return lines;
}

export interface SourceMap {
  sources: string[];
  lines: Mapping[][];
}

/** Parses a Source Map v3 JSON; `mapDir` resolves relative sources (with sourceRoot). */
export function parseSourceMap(json: string, mapDir: string): SourceMap {
  const raw = JSON.parse(json) as { version?: number; sources?: unknown; sourceRoot?: unknown; mappings?: unknown };
  if (raw.version !== 3 || !Array.isArray(raw.sources) || typeof raw.mappings !== 'string') throw new Error('not a version 3 source map with sources and mappings');
  const root = typeof raw.sourceRoot === 'string' ? raw.sourceRoot : '';
  const sources = raw.sources.map((s) => {
    const name = `${root}${root !== '' && !root.endsWith('/') ? '/' : ''}${String(s)}`;
    if (name.startsWith('file://')) return fileURLToPath(name);
    return isAbsolute(name) ? name : resolve(mapDir, name);
  });
  return { sources, lines: decodeMappings(raw.mappings) };
}

/** The original position of a generated one (line 1-based, col 1-based as in stack traces); undefined when unmapped. */
export function originalPosition(map: SourceMap, line: number, col?: number): { file: string; line: number; col: number } | undefined {
  const segs = map.lines[line - 1];
  if (!segs || segs.length === 0) return undefined;
  let hit = segs[0] as Mapping;
  if (col !== undefined) {
    for (const s of segs) {
      if (s[0] <= col - 1) hit = s;
      else break;
    }
  }
  const file = map.sources[hit[1]];
  if (file === undefined) return undefined;
  return { file, line: hit[2] + 1, col: hit[3] + 1 };
}

/** Reads the source map a compiled file points to; undefined when it has none or it cannot be read. */
export function loadSourceMapFor(file: string): SourceMap | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(text);
  if (!m) return undefined;
  const url = m[1] as string;
  try {
    const inline = /^data:application\/json(?:;charset=[\w-]+)?;base64,(.*)$/.exec(url);
    if (inline) return parseSourceMap(Buffer.from(inline[1] as string, 'base64').toString('utf8'), dirname(file));
    const mapFile = url.startsWith('file://') ? fileURLToPath(url) : resolve(dirname(file), decodeURIComponent(url));
    return parseSourceMap(readFileSync(mapFile, 'utf8'), dirname(mapFile));
  } catch {
    return undefined;
  }
}

/**
 * A MapLocation for evidenceSites: maps through the source map next to each file (read once per file) and,
 * with `root`, shows paths relative to it. Files without a map keep their position.
 */
export function createSourceMapper(opts: { root?: string } = {}): MapLocation {
  const cache = new Map<string, SourceMap | undefined>();
  const shown = (f: string): string => {
    if (opts.root === undefined) return f;
    const rel = relative(opts.root, f);
    return rel.startsWith('..') || isAbsolute(rel) ? f : rel;
  };
  return (file, line, col) => {
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    if (!cache.has(path)) cache.set(path, loadSourceMapFor(path));
    const map = cache.get(path);
    const pos = map ? originalPosition(map, line, col) : undefined;
    if (pos) return { file: shown(pos.file), line: pos.line, col: pos.col };
    const out: { file: string; line: number; col?: number } = { file: shown(path), line };
    if (col !== undefined) out.col = col;
    return out;
  };
}

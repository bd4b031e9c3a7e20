import { randomBytes } from 'node:crypto';

/** `20240131-142501-3fa9`: sortable by time, unique enough for branch names (`faultline/refactor/<id>`). */
export function newRunId(at: Date = new Date()): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}

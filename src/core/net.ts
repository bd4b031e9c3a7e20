import { isIP } from 'node:net';
import { FaultlineError } from './errors.js';

/** True for loopback addresses and names (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/** Splits "host:port" (IPv6 in brackets). */
export function splitHostPort(addr: string, field = 'address'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: "${addr}" is not host:port`);
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: port ${port} is out of range`);
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/** Refuses any target that is not on this machine. */
export function assertLocalTarget(addr: string, field = 'upstream', allowed: readonly string[] = []): void {
  const { host } = splitHostPort(addr, field);
  if (!isLoopback(host) && !allowed.includes(host)) {
    throw new FaultlineError('FL_ERR_NOT_LOCAL', `${field}: ${addr} is not a loopback address; faultline only targets this machine (127.0.0.0/8, ::1, localhost)`, { context: { field, addr } });
  }
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ancestry, parseProcStat, readProcStat, readRssBytes, signalChecked } from '../../../src/inject/process/proc.js';

const statLine = (pid: number, comm: string, state: string, ppid: number, utime: number, start: number): string =>
  `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194304 99 0 0 0 ${utime} 7 0 0 20 0 1 0 ${start} 3133440 390 18446744073709551615 0 0`;

describe('parseProcStat', () => {
  it('reads state, parents, CPU ticks and the start time (field 22)', () => {
    expect(parseProcStat(statLine(42, 'node', 'S', 7, 123, 35773))).toEqual({ pid: 42, comm: 'node', state: 'S', ppid: 7, pgrp: 42, utimeTicks: 123, stimeTicks: 7, startTimeTicks: 35773 });
  });

  it('survives any command name, including spaces and parentheses', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }).filter((s) => !s.includes('\n')), fc.nat(), fc.nat(), (comm, utime, start) => {
        const st = parseProcStat(statLine(9, comm, 'R', 1, utime, start));
        expect(st.comm).toBe(comm);
        expect(st.utimeTicks).toBe(utime);
        expect(st.startTimeTicks).toBe(start);
      }),
      { numRuns: 300 },
    );
  });
});

describe('/proc readers', () => {
  it('see this process and its ancestry up to PID 1', () => {
    expect(readProcStat(process.pid)?.pid).toBe(process.pid);
    const chain = ancestry(process.pid);
    expect(chain[0]).toBe(process.pid);
    expect(chain).toContain(process.ppid);
    expect(chain[chain.length - 1]).toBe(1);
    expect(readRssBytes(process.pid)).toBeGreaterThan(0);
  });

  it('treat a missing PID as gone, and a reused PID (other start time) as another process', () => {
    expect(readProcStat(4_000_000)).toBeUndefined();
    expect(signalChecked(4_000_000, undefined, 'SIGCONT')).toBe(false);
    const start = readProcStat(process.pid)?.startTimeTicks as number;
    expect(signalChecked(process.pid, start + 1, 'SIGCONT')).toBe(false);
    expect(signalChecked(process.pid, start, 'SIGCONT')).toBe(true);
  });
});

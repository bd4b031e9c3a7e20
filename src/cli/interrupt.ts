/** SIGINT/SIGTERM as an AbortSignal for commands that run faults: the run reverts everything it injected when it fires. */
export interface Interrupt {
  signal: AbortSignal;
  /** removes the handlers (call it in a finally) */
  dispose(): void;
}

export function onInterrupt(say?: (line: string) => void): Interrupt {
  const ac = new AbortController();
  const handler = (): void => {
    say?.('interrupted: reverting every fault…');
    ac.abort();
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

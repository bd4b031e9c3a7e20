import type { AgentRuntime } from './runtime.js';

/**
 * Error evidence from the process, observed without changing what Node does:
 * - 'uncaughtExceptionMonitor' sees uncaught exceptions, and unhandled rejections in the default
 *   (throw) mode, before Node handles them as it would anyway;
 * - an 'unhandledRejection' listener is added only while the application has one of its own (adding
 *   the first listener would stop Node from crashing on an unhandled rejection), and removed with it.
 */
export function installProcessMonitors(rt: AgentRuntime): void {
  process.on('uncaughtExceptionMonitor', (err, origin) => {
    rt.recordError(err, origin === 'unhandledRejection' ? 'unhandledRejection' : 'uncaughtException');
  });
  const ours = (reason: unknown): void => void rt.recordError(reason, 'unhandledRejection');
  let attached = false;
  const attach = (): void => {
    if (attached) return;
    attached = true;
    process.on('unhandledRejection', ours);
  };
  process.on('newListener', (event, listener) => {
    if (event === 'unhandledRejection' && listener !== ours) attach();
  });
  process.on('removeListener', (event, listener) => {
    if (event !== 'unhandledRejection' || listener === ours || !attached) return;
    if (process.listeners('unhandledRejection').every((l) => l === ours)) {
      attached = false;
      process.removeListener('unhandledRejection', ours);
    }
  });
  if (process.listenerCount('unhandledRejection') > 0) attach();
}

/** memory: a detached process allocates and touches N bytes and holds them until the TTL, then exits. */
import { FaultlineError } from '../../../core/errors.js';
import { compiledPath } from '../paths.js';
import { spawnHelper } from '../helper-process.js';
import { isSameProcess, memAvailableBytes, readRssBytes, signalChecked } from '../proc.js';
import { bytesParam, onlyKnown } from './params.js';
import { defineFault } from './types.js';

/** memory a fault must leave available to the rest of the machine */
const HEADROOM_BYTES = 256 * 1024 * 1024;

export const memory = defineFault({
  kind: 'memory',
  summary: 'hold N bytes of resident memory in a helper process until the TTL',
  target: 'optional',
  validate(params) {
    onlyKnown('memory', params, ['bytes']);
    return { bytes: bytesParam('memory', params, 'bytes') };
  },
  async apply(ctx, _t, p) {
    const available = memAvailableBytes();
    if (p.bytes > available - HEADROOM_BYTES) {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `memory: param "bytes" (${p.bytes}) exceeds what this machine can spare: ${available} bytes available, minus ${HEADROOM_BYTES} kept free; use a smaller size`);
    }
    const holder = await spawnHelper(process.execPath, [compiledPath('../holders/memory-holder.js', import.meta.url), String(p.bytes), String(ctx.ttlMs)], 'memory holder');
    // the fault is applied once the holder's RSS has reached (nearly) the size
    const deadline = Date.now() + 10_000 + p.bytes / (50 * 1024 * 1024) * 1000;
    let rss = 0;
    for (;;) {
      rss = readRssBytes(holder.pid) ?? 0;
      if (rss >= p.bytes * 0.95) break;
      if (!isSameProcess(holder.pid, holder.startTimeTicks)) {
        throw new FaultlineError('FL_ERR_PROCESS_FAULT', `memory: the holder process exited before allocating ${p.bytes} bytes (out of memory?); try a smaller size`);
      }
      if (Date.now() > deadline) {
        signalChecked(holder.pid, holder.startTimeTicks, 'SIGKILL');
        throw new FaultlineError('FL_ERR_PROCESS_FAULT', `memory: the holder reached only ${rss} of ${p.bytes} bytes in time; the machine may be swapping`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      plan: [{ op: 'terminate', pid: holder.pid, startTimeTicks: holder.startTimeTicks }],
      detail: { holderPid: holder.pid, bytes: p.bytes, rssBytes: rss },
    };
  },
});

/**
 * CPU stressor used when stress-ng is not installed: `node cpu-holder.js <workers> <loadPercent> <ttlMs>`
 * starts <workers> worker threads that busy-loop for loadPercent of every 100 ms slice, and exits by itself
 * after <ttlMs>.
 */
import { Worker, isMainThread, workerData } from 'node:worker_threads';

const SLICE_MS = 100;

if (isMainThread) {
  const workers = Number(process.argv[2]);
  const load = Number(process.argv[3]);
  const ttlMs = Number(process.argv[4]);
  if (!(workers >= 1) || !(load > 0 && load <= 100) || !(ttlMs > 0)) {
    process.stderr.write('usage: cpu-holder.js <workers> <loadPercent> <ttlMs>\n');
    process.exit(2);
  }
  process.title = 'faultline-cpu-holder';
  for (let i = 0; i < workers; i++) new Worker(new URL(import.meta.url), { workerData: { load } });
  setTimeout(() => process.exit(0), ttlMs);
} else {
  const busyMs = (SLICE_MS * (workerData as { load: number }).load) / 100;
  const slice = (): void => {
    const start = Date.now();
    while (Date.now() - start < busyMs) {
      // burn CPU for busyMs of this slice
    }
    setTimeout(slice, SLICE_MS - busyMs);
  };
  slice();
}

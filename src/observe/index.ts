/** The observe stage: open-loop load, latency histograms, process samplers, the timeline and resilience figures. */
export { startObserver, observe, DEFAULT_BUCKET_MS, DEFAULT_SAMPLE_EVERY_MS, type ObserverWithStats } from './observer.js';
export { computeFigures, deriveBounds, bucketVerdict, combine, DEFAULT_SUSTAIN_MS, type FigureOptions } from './figures.js';
export { LatencyHistogram } from './histogram.js';
export { TrafficAccumulator } from './traffic.js';
export { ProcessSampler, readProcStat, readRssBytes, countOpenFds, readAgentStats } from './samplers.js';
export { runLoad, startLoad, summarize, percentile, validateLoadSpec, type LoadHandle, type LoadOptions, type LoadStats, type LoadSummary, type RequestSample, type StartLoadOptions } from './load.js';

import type { StreamToxicDefinition } from '../types.js';

/** Toxiproxy `noop`: passes everything unchanged (it still routes the stream through the toxic pipeline). */
export const noop: StreamToxicDefinition<Record<string, never>> = {
  kind: 'stream',
  type: 'noop',
  summary: 'passes data unchanged through the toxic pipeline',
  attributes: [],
  create: (ctx) => ({ write: (c) => ctx.push(c), end: () => ctx.end() }),
};

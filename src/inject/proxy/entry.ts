import type { StreamDirection, ToxicDefinition, ToxicJson } from './types.js';

/** A toxic installed on a proxy (shared by all its connections). */
export interface ToxicEntry {
  /** fault id in the ledger */
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly stream: StreamDirection;
  readonly def: ToxicDefinition;
  toxicity: number;
  attributes: Record<string, unknown>;
  ttlMs: number;
  startedAt: number;
  expiresAt: number;
  /** when it was added, on the toxics' clock (performance.now() ms); a TTL reset or an update keeps it (ramps count from it) */
  readonly addedAt: number;
  cancelExpiry?: () => void;
}

export function toxicJson(e: ToxicEntry): ToxicJson {
  return {
    name: e.name,
    type: e.type,
    stream: e.stream,
    toxicity: e.toxicity,
    attributes: structuredClone(e.attributes),
    ttl: e.ttlMs,
    expires_at: new Date(e.expiresAt).toISOString(),
  };
}

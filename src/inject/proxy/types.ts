/** Shared types of the fault proxy: chunks, toxic definitions, the JSON shapes of the Toxiproxy API. */
import type { Rng } from '../../core/rng.js';
import type { AttributeSpec } from './attributes.js';
import type { RequestHead } from './http/parser.js';

/** upstream = client → server, downstream = server → client (Toxiproxy's default). */
export type StreamDirection = 'upstream' | 'downstream';

/** A piece of a stream. `ts` is when it entered the proxy (performance.now() ms); latency toxics move it forward. */
export interface Chunk {
  data: Buffer;
  ts: number;
}

/** What a toxic instance can do on one stream of one connection. */
export interface ToxicContext<A, S = undefined> {
  readonly name: string;
  readonly stream: StreamDirection;
  /** validated, normalized attributes */
  readonly attributes: A;
  /** per-connection state; kept when the toxic is updated (e.g. limit_data's byte count) */
  readonly state: S;
  /** the connection's seeded generator */
  readonly rng: Rng;
  /** when the toxic was added to the proxy, on the now() clock (ms); kept when the toxic is updated, the same for every connection */
  readonly addedAt: number;
  now(): number;
  /** hands a chunk to the next toxic (or the destination socket) */
  push(chunk: Chunk): void;
  /** end of stream: everything pushed so far is followed by a half-close (FIN) */
  end(): void;
  /** closes the whole connection after everything pushed so far */
  close(): void;
  /** resets the whole connection now (TCP RST to both peers) */
  reset(): void;
  /** a timer cancelled when the toxic leaves the connection */
  setTimer(fn: () => void, ms: number): void;
}

/** One toxic running on one stream of one connection. */
export interface ToxicHandler {
  write(chunk: Chunk): void;
  /** the source ended; call ctx.end() once everything held is pushed */
  end(): void;
  /** bytes held that will be released by time alone (backpressure counts them) */
  held?(): number;
  /** the toxic leaves the connection (removed or updated): push everything held, in order, now */
  flush?(): void;
}

interface ToxicDefinitionBase {
  readonly type: string;
  /** one line for docs and errors */
  readonly summary: string;
  readonly attributes: readonly AttributeSpec[];
  /** cross-attribute checks after each attribute was validated; throws FL_ERR_TOXIC_ATTRIBUTE */
  check?(attributes: Record<string, unknown>): void;
}

/** A toxic acting on the bytes of one stream (Toxiproxy's model). */
export interface StreamToxicDefinition<A = any, S = any> extends ToxicDefinitionBase {
  readonly kind: 'stream';
  /** installed on both streams whatever `stream` says (blackhole) */
  readonly bothStreams?: boolean;
  createState?(): S;
  create(ctx: ToxicContext<A, S>): ToxicHandler;
}

/** A toxic acting on HTTP/1.1 exchanges: requests parsed on the upstream stream, responses on the downstream. */
export interface HttpToxicDefinition<A = any> extends ToxicDefinitionBase {
  readonly kind: 'http';
  /** what to do with a request whose method and path matched the toxic's route */
  decide(attributes: A, request: RequestHead): HttpAction;
}

export type ToxicDefinition = StreamToxicDefinition | HttpToxicDefinition;

/** What an HTTP toxic does with a matching request. */
export type HttpAction =
  /** answer the client without forwarding the request */
  | { kind: 'respond'; status: number; body: string; contentType: string }
  /** close (FIN) or reset (RST) the connection instead of forwarding */
  | { kind: 'abort'; mode: 'close' | 'reset' }
  /** forward the request `ms` later */
  | { kind: 'delay'; ms: number }
  /** rewrite the response's headers */
  | { kind: 'headers'; set: Record<string, string>; remove: readonly string[] }
  /** replace the response's body */
  | { kind: 'body'; body: string; contentType: string | undefined };

/** Toxic JSON as the Toxiproxy API shows it, plus faultline's `ttl` (ms) and `expires_at`. */
export interface ToxicJson {
  name: string;
  type: string;
  stream: StreamDirection;
  toxicity: number;
  attributes: Record<string, unknown>;
  ttl: number;
  expires_at: string;
}

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

/** Body of POST /proxies/{proxy}/toxics. */
export interface ToxicSpec {
  name?: string;
  type: string;
  stream?: StreamDirection;
  toxicity?: number;
  attributes?: Record<string, unknown>;
  /** faultline extension: time-to-live in ms */
  ttl?: number;
}

/** Body of PATCH /proxies/{proxy}/toxics/{toxic}: every field optional, attributes merge. */
export interface ToxicPatch {
  toxicity?: number;
  attributes?: Record<string, unknown>;
  ttl?: number;
}

/** Body of POST /proxies (and each entry of /populate). */
export interface ProxySpec {
  name: string;
  listen?: string;
  upstream: string;
  enabled?: boolean;
  /** faultline extension: toxics created with the proxy */
  toxics?: ToxicSpec[];
}

export interface ProxyPatch {
  listen?: string;
  upstream?: string;
  enabled?: boolean;
}

/**
 * The HTTP/1.1 layer of one connection: it frames requests on the upstream flow (first slot, what the client sent)
 * and responses on the downstream flow (last slot, what the client receives), pairs them in order, and applies the
 * connection's HTTP toxics: answer instead of forwarding, abort, delay, rewrite headers, replace the body.
 * Keep-alive, pipelining, Content-Length, chunked, read-until-close, 1xx and tunnels (CONNECT, 101) are handled.
 * When its last toxic goes, the layer finishes what it started (a request being swallowed, an answer not yet sent,
 * a body being replaced) and then leaves both flows, which go back to pipe().
 */
import type { ToxicContext, ToxicHandler, HttpAction, HttpToxicDefinition } from '../types.js';
import type { ToxicEntry } from '../entry.js';
import {
  headerHasToken,
  headerValues,
  looksLikeRequestStart,
  MessageParser,
  reasonPhrase,
  requestBodyMode,
  responseBodyMode,
  serializeResponseHead,
  type ParseEvent,
  type RequestHead,
  type ResponseHead,
} from './parser.js';
import { routeMatches, routeProbability, type HttpRoute } from './route.js';

interface Exchange {
  method: string;
  /** request bytes are swallowed (answered by the proxy) */
  discard: boolean;
  /** the proxy's own answer, sent when this exchange reaches the head of the queue */
  synthetic?: Buffer;
  /** not before this time (performance.now ms) */
  readyAt: number;
  closeAfter: boolean;
  headerMods: Array<Extract<HttpAction, { kind: 'headers' }>>;
  body?: Extract<HttpAction, { kind: 'body' }>;
}

interface Queued {
  data: Buffer;
  ts: number;
  at: number;
}

export interface HttpLayerHost {
  /** toxicity draw for this connection (the one place it is applied) */
  draw(entry: ToxicEntry): boolean;
  /**
   * the per-request draw of a route's `probability`, from the same seeded generator as `draw`: true when the toxic
   * acts on this request. 1 (and above) is true and 0 false without drawing, so toxics without it draw nothing.
   */
  chance(probability: number): boolean;
  /** the layer has nothing left to do and no toxic: take it out of both flows */
  detach(layer: HttpLayer): void;
}

const FRAMING = new Set(['content-length', 'transfer-encoding', 'content-encoding']);

export function applyHeaderMods(head: ResponseHead, mods: ReadonlyArray<{ set: Record<string, string>; remove: readonly string[] }>): ResponseHead {
  let headers = head.headers;
  for (const m of mods) {
    const drop = new Set([...m.remove, ...Object.keys(m.set)].map((k) => k.toLowerCase()));
    headers = headers.filter(([k]) => !drop.has(k.toLowerCase()));
    for (const [k, v] of Object.entries(m.set)) headers.push([k, v]);
  }
  return { ...head, headers };
}

export class HttpLayer {
  private toxics: Array<{ entry: ToxicEntry; active: boolean }> = [];
  private upCtx?: ToxicContext<unknown, unknown>;
  private downCtx?: ToxicContext<unknown, unknown>;
  private readonly reqParser = new MessageParser('request', (h) => requestBodyMode(h as RequestHead));
  private readonly resParser = new MessageParser('response', (h) => responseBodyMode(h as ResponseHead, this.queue.find((e) => e.synthetic === undefined)?.method ?? 'GET'));
  /** joined a connection mid-way: wait for a chunk that starts a request */
  private seeking: boolean;
  private readonly queue: Exchange[] = [];
  private reqCurrent?: Exchange;
  private resCurrent?: Exchange;
  private resActive = false;
  private resInformational = false;
  private buffering?: ResponseHead;
  private tunnel = false;
  private aborted = false;
  private upQueue: Queued[] = [];
  private upHeld = 0;
  private upArmed = false;
  private upEnded = false;
  private downArmed = false;
  private downEnded = false;
  private draining = false;
  private detachQueued = false;

  constructor(
    private readonly host: HttpLayerHost,
    joinedMidway: boolean,
  ) {
    this.seeking = joinedMidway;
  }

  addToxic(entry: ToxicEntry): void {
    this.toxics.push({ entry, active: this.host.draw(entry) });
    this.draining = false;
  }

  updateToxic(entry: ToxicEntry): void {
    const t = this.toxics.find((x) => x.entry === entry);
    if (t) t.active = this.host.draw(entry);
  }

  removeToxic(entry: ToxicEntry): void {
    this.toxics = this.toxics.filter((x) => x.entry !== entry);
    if (this.toxics.length === 0) {
      this.draining = true;
      this.scheduleDetach();
    }
  }

  /** the slot on the upstream flow (requests) */
  createUp(ctx: ToxicContext<unknown, unknown>): ToxicHandler {
    this.upCtx = ctx;
    return {
      write: (c) => {
        if (this.aborted) return;
        if (this.tunnel || this.reqParser.isOpaque) return this.upOut(c.data, c.ts, 0);
        if (this.seeking) {
          if (!looksLikeRequestStart(c.data)) return this.upOut(c.data, c.ts, 0);
          this.seeking = false;
        }
        const events: ParseEvent[] = [];
        this.reqParser.feed(c.data, events);
        for (const ev of events) {
          if (this.aborted) return;
          this.onRequestEvent(ev, c.ts);
        }
        this.scheduleDetach();
      },
      end: () => {
        this.upEnded = true;
        if (this.upQueue.length === 0) ctx.end();
      },
      held: () => this.upHeld,
      flush: () => {
        for (const q of this.upQueue.splice(0)) if (q.data.length > 0) ctx.push({ data: q.data, ts: q.ts });
        this.upHeld = 0;
        if (this.upEnded) ctx.end();
      },
    };
  }

  /** the slot on the downstream flow (responses) */
  createDown(ctx: ToxicContext<unknown, unknown>): ToxicHandler {
    this.downCtx = ctx;
    return {
      write: (c) => {
        if (this.tunnel || this.resParser.isOpaque || (this.queue.length === 0 && !this.resActive && this.seeking)) return ctx.push(c);
        const events: ParseEvent[] = [];
        this.resParser.feed(c.data, events);
        for (const ev of events) this.onResponseEvent(ev, c.ts);
        this.scheduleDetach();
      },
      end: () => {
        const events: ParseEvent[] = [];
        this.resParser.finish(events);
        for (const ev of events) this.onResponseEvent(ev, performance.now());
        // the server closed mid-response: what was held of it is lost, as it would be without the proxy
        this.resActive = false;
        this.buffering = undefined;
        this.downEnded = true;
        this.pumpDown();
      },
      flush: () => {
        // only reached when the connection goes away or the layer is idle: nothing is held here
      },
    };
  }

  /** nothing started that must be finished */
  private idle(): boolean {
    return (
      !this.reqParser.holdsBytes &&
      !this.resParser.holdsBytes &&
      this.reqCurrent?.discard !== true &&
      this.upQueue.length === 0 &&
      this.buffering === undefined &&
      !this.queue.some((e) => e.synthetic !== undefined)
    );
  }

  private scheduleDetach(): void {
    if (!this.draining || this.detachQueued) return;
    this.detachQueued = true;
    queueMicrotask(() => {
      this.detachQueued = false;
      if (this.draining && this.idle()) this.host.detach(this);
    });
  }

  /**
   * What the toxics do with one request. Each toxic that is active on this connection (toxicity) and whose route
   * matches draws its `probability` once, in the order the toxics were added, until an abort ends the walk; a toxic
   * whose draw says no leaves the request as if it had not matched.
   */
  private decide(req: RequestHead): Exchange | undefined {
    const ex: Exchange = { method: req.method, discard: false, readyAt: 0, closeAfter: false, headerMods: [] };
    let delay = 0;
    let respond: Extract<HttpAction, { kind: 'respond' }> | undefined;
    for (const t of this.toxics) {
      if (!t.active) continue;
      const attrs = t.entry.attributes as unknown as HttpRoute;
      if (!routeMatches(attrs, req)) continue;
      if (!this.host.chance(routeProbability(attrs))) continue;
      const action = (t.entry.def as HttpToxicDefinition).decide(attrs, req);
      switch (action.kind) {
        case 'abort':
          this.aborted = true;
          if (action.mode === 'reset') this.upCtx?.reset();
          else this.upCtx?.close();
          return undefined;
        case 'respond':
          respond ??= action;
          break;
        case 'delay':
          delay += action.ms;
          break;
        case 'headers':
          ex.headerMods.push(action);
          break;
        case 'body':
          ex.body = action;
          break;
      }
    }
    if (delay > 0) ex.readyAt = performance.now() + delay;
    if (respond) {
      ex.discard = true;
      const bodyPending = requestBodyMode(req).type !== 'none';
      const connection = headerValues(req.headers, 'connection');
      ex.closeAfter =
        headerHasToken(req.headers, 'connection', 'close') ||
        (req.version === 'HTTP/1.0' && !connection.some((v) => /keep-alive/i.test(v))) ||
        (bodyPending && headerHasToken(req.headers, 'expect', '100-continue'));
      const body = Buffer.from(respond.body, 'utf8');
      let head: ResponseHead = {
        kind: 'response',
        version: 'HTTP/1.1',
        status: respond.status,
        reason: reasonPhrase(respond.status),
        headers: [
          ['content-type', respond.contentType],
          ['content-length', String(body.length)],
          ['x-faultline-toxic', 'http_status'],
        ],
      };
      if (ex.closeAfter) head.headers.push(['connection', 'close']);
      head = applyHeaderMods(head, ex.headerMods);
      ex.synthetic = req.method === 'HEAD' ? serializeResponseHead(head) : Buffer.concat([serializeResponseHead(head), body]);
    }
    return ex;
  }

  private onRequestEvent(ev: ParseEvent, ts: number): void {
    switch (ev.type) {
      case 'opaque':
        this.upOut(ev.raw, ts, 0);
        return;
      case 'head': {
        const ex = this.decide(ev.head as RequestHead);
        if (!ex) return;
        this.reqCurrent = ex;
        this.queue.push(ex);
        if (!ex.discard) this.upOut(ev.raw, ts, ex.readyAt);
        else {
          // requests behind a delayed answer wait for it, so their responses cannot overtake it
          if (ex.readyAt > 0) this.upOut(Buffer.alloc(0), ts, ex.readyAt);
          this.pumpDown();
        }
        return;
      }
      case 'body':
        if (this.reqCurrent?.discard !== true) this.upOut(ev.raw, ts, 0);
        return;
      case 'end':
        this.reqCurrent = undefined;
        return;
    }
  }

  private onResponseEvent(ev: ParseEvent, ts: number): void {
    const ctx = this.downCtx as ToxicContext<unknown, unknown>;
    switch (ev.type) {
      case 'opaque':
        ctx.push({ data: ev.raw, ts });
        return;
      case 'head': {
        const head = ev.head as ResponseHead;
        const first = this.queue[0];
        const ex = first !== undefined && first.synthetic === undefined ? first : undefined;
        this.resCurrent = ex;
        this.resActive = true;
        this.resInformational = head.status >= 100 && head.status < 200 && head.status !== 101;
        if (ev.body.type === 'tunnel') {
          this.tunnel = true;
          ctx.push({ data: ev.raw, ts });
          return;
        }
        if (ex && !this.resInformational) {
          if (ex.body && ev.body.type !== 'none') {
            this.buffering = head;
            return;
          }
          if (ex.headerMods.length > 0) {
            ctx.push({ data: serializeResponseHead(applyHeaderMods(head, ex.headerMods)), ts });
            return;
          }
        }
        ctx.push({ data: ev.raw, ts });
        return;
      }
      case 'body':
        if (this.buffering === undefined) ctx.push({ data: ev.raw, ts });
        return;
      case 'end': {
        const ex = this.resCurrent;
        if (this.buffering !== undefined && ex?.body) {
          const body = Buffer.from(ex.body.body, 'utf8');
          const drop = new Set(FRAMING);
          if (ex.body.contentType !== undefined) drop.add('content-type');
          let head: ResponseHead = { ...this.buffering, headers: this.buffering.headers.filter(([k]) => !drop.has(k.toLowerCase())) };
          if (ex.body.contentType !== undefined) head.headers.push(['content-type', ex.body.contentType]);
          head.headers.push(['content-length', String(body.length)]);
          head = applyHeaderMods(head, ex.headerMods);
          ctx.push({ data: Buffer.concat([serializeResponseHead(head), body]), ts });
        }
        this.buffering = undefined;
        this.resActive = false;
        this.resCurrent = undefined;
        if (!this.resInformational && ex !== undefined && this.queue[0] === ex) this.queue.shift();
        this.resInformational = false;
        this.pumpDown();
        return;
      }
    }
  }

  /** sends the proxy's own answers that have reached the head of the queue */
  private pumpDown(): void {
    const ctx = this.downCtx;
    if (!ctx) return;
    while (this.queue.length > 0 && !this.resActive) {
      const ex = this.queue[0] as Exchange;
      if (ex.synthetic === undefined) {
        if (!this.downEnded) break;
        this.queue.shift(); // the server closed: this request will never be answered
        continue;
      }
      const wait = ex.readyAt - performance.now();
      if (wait > 0.5) {
        if (!this.downArmed) {
          this.downArmed = true;
          ctx.setTimer(() => {
            this.downArmed = false;
            this.pumpDown();
          }, wait);
        }
        return;
      }
      this.queue.shift();
      ctx.push({ data: ex.synthetic, ts: performance.now() });
      if (ex.closeAfter) {
        ctx.close();
        return;
      }
    }
    if (this.downEnded && this.queue.length === 0 && !this.resActive) ctx.end();
    this.scheduleDetach();
  }

  /** upstream output in order; a delayed request holds everything behind it */
  private upOut(data: Buffer, ts: number, at: number): void {
    const ctx = this.upCtx as ToxicContext<unknown, unknown>;
    const now = performance.now();
    if (this.upQueue.length === 0 && at <= now + 0.5) return ctx.push({ data, ts });
    const last = this.upQueue[this.upQueue.length - 1];
    this.upQueue.push({ data, ts, at: Math.max(at, last?.at ?? 0) });
    this.upHeld += data.length;
    this.armUp();
  }

  private armUp(): void {
    if (this.upArmed || this.upQueue.length === 0) return;
    const ctx = this.upCtx as ToxicContext<unknown, unknown>;
    this.upArmed = true;
    ctx.setTimer(() => {
      this.upArmed = false;
      const now = performance.now() + 0.5;
      while (this.upQueue.length > 0 && (this.upQueue[0] as Queued).at <= now) {
        const q = this.upQueue.shift() as Queued;
        this.upHeld -= q.data.length;
        if (q.data.length > 0) ctx.push({ data: q.data, ts: q.ts });
      }
      if (this.upQueue.length > 0) this.armUp();
      else if (this.upEnded) ctx.end();
      this.scheduleDetach();
    }, Math.max(0, (this.upQueue[0] as Queued).at - performance.now()));
  }
}

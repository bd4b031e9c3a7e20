/**
 * One proxied connection: the client socket, the upstream socket and the two flows between them. Half-closes
 * pass through (allowHalfOpen); a reset on one side is passed on as a reset.
 */
import type { Socket } from 'node:net';
import type { Rng } from '../../core/rng.js';
import { Flow, type FlowOwner, type SlotSpec } from './flow.js';
import { HttpLayer } from './http/layer.js';
import type { ToxicEntry } from './entry.js';
import type { StreamToxicDefinition } from './types.js';

/** give up on a graceful close after this long (a peer that never reads) */
const CLOSE_GRACE_MS = 10_000;

export interface LinkHost {
  /** a generator for one connection, forked from the proxy's seeded one */
  forkRng(): Rng;
  linkClosed(link: Link): void;
}

/** resetAndDestroy() where it can, destroy() where it cannot (socket not connected yet) */
export function resetSocket(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
  if (!s.destroyed) s.destroy();
}

export class Link implements FlowOwner {
  readonly up: Flow;
  readonly down: Flow;
  private http?: HttpLayer;
  private rngValue?: Rng;
  private closing = false;
  private finished = false;
  private graceTimer?: NodeJS.Timeout;

  constructor(
    private readonly host: LinkHost,
    readonly client: Socket,
    readonly upstream: Socket,
  ) {
    this.up = new Flow(this, 'upstream', client, upstream);
    this.down = new Flow(this, 'downstream', upstream, client);
  }

  get rng(): Rng {
    return (this.rngValue ??= this.host.forkRng());
  }

  start(toxics: readonly ToxicEntry[]): void {
    const { client, upstream } = this;
    client.on('error', (e: NodeJS.ErrnoException) => this.onError(upstream, e));
    upstream.on('error', (e: NodeJS.ErrnoException) => this.onError(client, e));
    client.on('close', () => this.onClose(client));
    upstream.on('close', () => this.onClose(upstream));
    this.up.start();
    this.down.start();
    for (const t of toxics) this.addToxic(t);
  }

  /** toxicity: drawn once per connection when a toxic starts on it (and again when it is updated) */
  draw(entry: ToxicEntry): boolean {
    if (entry.toxicity >= 1) return true;
    if (entry.toxicity <= 0) return false;
    return this.rng.next() < entry.toxicity;
  }

  /** an HTTP toxic's `probability`: drawn per request from the same generator; 1 and 0 draw nothing */
  chance(probability: number): boolean {
    if (probability >= 1) return true;
    if (probability <= 0) return false;
    return this.rng.next() < probability;
  }

  addToxic(entry: ToxicEntry): void {
    if (this.finished || this.closing) return;
    if (entry.def.kind === 'http') {
      this.httpLayer()?.addToxic(entry);
      return;
    }
    const active = this.draw(entry);
    for (const f of this.flowsFor(entry)) f.addSlot(this.slotSpec(entry, active), 'tail');
  }

  updateToxic(entry: ToxicEntry): void {
    if (this.finished) return;
    if (entry.def.kind === 'http') {
      this.http?.updateToxic(entry);
      return;
    }
    const active = this.draw(entry);
    for (const f of this.flowsFor(entry)) f.replaceSlot(entry, this.slotSpec(entry, active));
  }

  removeToxic(entry: ToxicEntry): void {
    if (this.finished) return;
    if (entry.def.kind === 'http') {
      this.http?.removeToxic(entry);
      return;
    }
    for (const f of this.flowsFor(entry)) f.removeSlot(entry);
  }

  /** graceful full close (a toxic asked for it): FIN both ways once what was passed on is written */
  close(): void {
    if (this.closing || this.finished) return;
    this.closing = true;
    this.up.stopInput();
    this.down.stopInput();
    for (const s of [this.client, this.upstream]) {
      if (s.writableFinished) s.destroy();
      else s.once('finish', () => s.destroy());
    }
    this.armGrace();
  }

  /** TCP RST to both peers now */
  reset(): void {
    if (this.finished) return;
    this.closing = true;
    this.up.destroy();
    this.down.destroy();
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  /** the proxy is disabled or deleted */
  destroy(): void {
    this.up.destroy();
    this.down.destroy();
    this.client.destroy();
    this.upstream.destroy();
  }

  private httpLayer(): HttpLayer | undefined {
    if (this.http) return this.http;
    const joined = this.client.bytesRead > 0 || this.upstream.bytesRead > 0;
    const layer = new HttpLayer({ draw: (e) => this.draw(e), chance: (p) => this.chance(p), detach: (l) => this.detachHttp(l) }, joined);
    const base = { key: layer, active: true, attributes: {}, state: undefined };
    const upOk = this.up.addSlot({ ...base, name: 'http', create: (ctx) => layer.createUp(ctx) }, 'head');
    const downOk = this.down.addSlot({ ...base, name: 'http', create: (ctx) => layer.createDown(ctx), pinTail: true }, 'tail');
    if (!upOk || !downOk) {
      this.up.removeSlot(layer);
      this.down.removeSlot(layer);
      return undefined;
    }
    this.http = layer;
    return layer;
  }

  private detachHttp(layer: HttpLayer): void {
    if (this.http !== layer) return;
    this.http = undefined;
    this.up.removeSlot(layer);
    this.down.removeSlot(layer);
  }

  private flowsFor(entry: ToxicEntry): Flow[] {
    if ((entry.def as StreamToxicDefinition).bothStreams === true) return [this.up, this.down];
    return [entry.stream === 'upstream' ? this.up : this.down];
  }

  private slotSpec(entry: ToxicEntry, active: boolean): SlotSpec {
    const def = entry.def as StreamToxicDefinition;
    return { key: entry, name: entry.name, active, attributes: entry.attributes, state: def.createState?.(), addedAt: entry.addedAt, create: (ctx) => def.create(ctx) };
  }

  private onError(other: Socket, e: NodeJS.ErrnoException): void {
    if (e.code === 'ECONNRESET') resetSocket(other);
    else other.destroy();
  }

  private onClose(s: Socket): void {
    const other = s === this.client ? this.upstream : this.client;
    const into = s === this.client ? this.up : this.down;
    if (!other.destroyed) {
      if (into.srcEnded && !this.closing && !other.writableFinished) {
        // s finished normally: let what still flows into `other` arrive, then close it
        other.once('finish', () => other.destroy());
        this.armGrace();
      } else other.destroy();
    }
    if (this.client.destroyed && this.upstream.destroyed) this.finish();
  }

  private armGrace(): void {
    if (this.graceTimer) return;
    this.graceTimer = setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.up.destroy();
    this.down.destroy();
    this.http = undefined;
    this.host.linkClosed(this);
  }
}

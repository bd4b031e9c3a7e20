/**
 * One direction of one proxied connection. With no active toxic the bytes go `src.pipe(dst)`; while a toxic is
 * active they go through the toxic pipeline (a list of slots, each running one toxic). Switching between the two
 * is synchronous: `unpipe` leaves unread bytes in the source's buffer and removing a toxic first hands everything
 * it holds to the next slot, so no byte is lost, duplicated or reordered.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Rng } from '../../core/rng.js';
import type { Chunk, StreamDirection, ToxicContext, ToxicHandler } from './types.js';

/** bytes held by toxics (plus the socket's own buffer) before the source is paused */
export const FLOW_HIGH_WATER = 1024 * 1024;
const FLOW_LOW_WATER = FLOW_HIGH_WATER / 2;

/** What a flow needs from its connection. */
export interface FlowOwner {
  readonly rng: Rng;
  /** close the whole connection gracefully (FIN both ways after what was already passed on) */
  close(): void;
  /** reset the whole connection (RST both ways) */
  reset(): void;
}

export interface SlotSpec {
  /** identifies the slot for update/remove (the toxic entry, or the HTTP layer) */
  key: object;
  name: string;
  /** false: the toxicity draw said no; the slot passes data through and does not force the pipeline */
  active: boolean;
  attributes: unknown;
  state: unknown;
  /** when the toxic was added to the proxy (performance.now() ms); default: when the slot is made */
  addedAt?: number;
  create(ctx: ToxicContext<any, any>): ToxicHandler;
  /** stays the last slot (the HTTP layer on the downstream flow) */
  pinTail?: boolean;
}

interface Slot {
  key: object;
  spec: SlotSpec;
  handler: ToxicHandler;
  timers: Set<NodeJS.Timeout>;
  gotEnd: boolean;
  sentEnd: boolean;
  disposed: boolean;
}

export class Flow {
  private slots: Slot[] = [];
  private chain = false;
  private paused = false;
  private closeAtSink = false;
  private inputStopped = false;
  private done = false;
  /** the source sent its FIN */
  srcEnded = false;
  /** end was passed to the destination (or the destination is gone) */
  sinkEnded = false;
  /** the pipeline's source and destination listeners, made the first time the flow enters the pipeline */
  private listeners?: { data: (data: Buffer) => void; drain: () => void };

  constructor(
    private readonly owner: FlowOwner,
    readonly stream: StreamDirection,
    private readonly src: Socket,
    private readonly dst: Socket,
  ) {}

  start(): void {
    // 'end' is emitted once; `on` spares the per-connection wrapper `once` would allocate
    this.src.on('end', () => this.onEnd());
    this.src.pipe(this.dst);
  }

  /** true while bytes go through the toxic pipeline rather than pipe() */
  get inPipeline(): boolean {
    return this.chain;
  }

  /** Adds a slot: at the head, or at the tail before a pinned-tail slot. Returns false when the flow is over. */
  addSlot(spec: SlotSpec, where: 'head' | 'tail'): boolean {
    if (this.done || this.sinkEnded || this.inputStopped) return false;
    if (where === 'head' && this.srcEnded) return false;
    const slot = this.makeSlot(spec, false, false);
    let at = 0;
    if (where === 'tail') {
      const pinned = spec.pinTail ? -1 : this.slots.findIndex((s) => s.spec.pinTail === true);
      at = pinned === -1 ? this.slots.length : pinned;
    }
    const before = this.slots[at - 1];
    if (at > 0 ? before?.sentEnd === true : this.srcEnded) {
      // everything before this point has ended: nothing will reach the new slot
      slot.gotEnd = true;
      slot.sentEnd = true;
    }
    this.slots.splice(at, 0, slot);
    this.activate(slot);
    return true;
  }

  /** Replaces the slot's toxic (an update): the old one hands over what it holds, the new one keeps the state. */
  replaceSlot(key: object, spec: SlotSpec): void {
    const old = this.slots.find((s) => s.key === key);
    if (!old || this.done) return;
    if (!old.sentEnd) old.handler.flush?.();
    this.dispose(old);
    const slot = this.makeSlot({ ...spec, state: old.spec.state, pinTail: old.spec.pinTail }, old.gotEnd, old.sentEnd);
    this.slots[this.slots.indexOf(old)] = slot;
    this.activate(slot);
    if (slot.gotEnd && !slot.sentEnd) slot.handler.end();
    this.kick();
    this.maybeLeavePipeline();
  }

  /** Removes a slot: it hands over everything it holds, in order, then the pipeline closes over the gap. */
  removeSlot(key: object): void {
    const slot = this.slots.find((s) => s.key === key);
    if (!slot) return;
    if (!slot.sentEnd && !this.done) slot.handler.flush?.();
    this.dispose(slot);
    const at = this.slots.indexOf(slot);
    this.slots.splice(at, 1);
    if (slot.gotEnd && !slot.sentEnd && !this.done) this.endAt(at);
    this.kick();
    this.maybeLeavePipeline();
  }

  /** Stop reading the source and end the pipeline (the connection is closing). */
  stopInput(): void {
    if (this.done || this.inputStopped) return;
    this.inputStopped = true;
    if (!this.chain) {
      this.src.unpipe(this.dst);
      this.sinkEnd();
      return;
    }
    this.detachPipeline();
    this.src.pause();
    if (!this.srcEnded) this.endAt(0);
  }

  /** The connection is gone: cancel every timer, drop everything held. */
  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.inputStopped = true;
    for (const s of this.slots) this.dispose(s);
    this.detachPipeline();
  }

  private makeSlot(spec: SlotSpec, gotEnd: boolean, sentEnd: boolean): Slot {
    const slot: Slot = { key: spec.key, spec, handler: undefined as unknown as ToxicHandler, timers: new Set(), gotEnd, sentEnd, disposed: false };
    const ctx: ToxicContext<unknown, unknown> = {
      name: spec.name,
      stream: this.stream,
      attributes: spec.attributes,
      state: spec.state,
      rng: this.owner.rng,
      addedAt: spec.addedAt ?? performance.now(),
      now: () => performance.now(),
      push: (c) => this.forward(slot, c),
      end: () => this.forwardEnd(slot),
      close: () => this.closeFrom(slot),
      reset: () => this.owner.reset(),
      setTimer: (fn, ms) => this.setTimer(slot, fn, ms),
    };
    slot.handler = spec.active ? spec.create(ctx) : { write: ctx.push, end: ctx.end };
    return slot;
  }

  private activate(slot: Slot): void {
    if (slot.spec.active) this.enterPipeline();
  }

  private setTimer(slot: Slot, fn: () => void, ms: number): void {
    if (slot.disposed) return;
    const t = setTimeout(() => {
      slot.timers.delete(t);
      if (slot.disposed || this.done) return;
      fn();
      this.kick();
    }, ms);
    slot.timers.add(t);
  }

  private dispose(slot: Slot): void {
    slot.disposed = true;
    for (const t of slot.timers) clearTimeout(t);
    slot.timers.clear();
  }

  private enterPipeline(): void {
    if (this.chain || this.done) return;
    this.chain = true;
    if (this.srcEnded || this.inputStopped) return;
    this.src.unpipe(this.dst); // pauses src; unread bytes stay in its buffer
    this.listeners ??= { data: (data) => this.onData(data), drain: () => this.kick() };
    this.src.on('data', this.listeners.data);
    this.dst.on('drain', this.listeners.drain);
    if (this.dst.writableNeedDrain) this.pause();
    else this.src.resume();
  }

  private maybeLeavePipeline(): void {
    if (!this.chain || this.done || this.srcEnded || this.sinkEnded || this.inputStopped) return;
    if (this.slots.some((s) => s.spec.active)) return;
    // every slot is a pass-through and holds nothing: hand the stream back to pipe()
    this.chain = false;
    this.paused = false;
    this.detachPipeline();
    this.src.pipe(this.dst);
  }

  private detachPipeline(): void {
    if (!this.listeners) return;
    this.src.removeListener('data', this.listeners.data);
    this.dst.removeListener('drain', this.listeners.drain);
  }

  private onData(data: Buffer): void {
    if (this.inputStopped) return;
    const chunk: Chunk = { data, ts: performance.now() };
    const first = this.slots[0];
    if (first === undefined) this.sink(chunk);
    else if (!first.gotEnd) first.handler.write(chunk);
    if (!this.paused && (this.dst.writableNeedDrain || this.heldBytes() > FLOW_HIGH_WATER)) this.pause();
  }

  private onEnd(): void {
    this.srcEnded = true;
    if (!this.chain) {
      this.sinkEnded = true; // pipe() ends dst
      return;
    }
    if (!this.inputStopped && !this.done) this.endAt(0);
  }

  private pause(): void {
    this.paused = true;
    this.src.pause();
  }

  /** resume the source once the pipeline and the destination have room */
  private kick(): void {
    if (!this.paused || this.inputStopped || this.done || !this.chain) return;
    if (this.dst.writableNeedDrain || this.heldBytes() > FLOW_LOW_WATER) return;
    this.paused = false;
    this.src.resume();
  }

  private heldBytes(): number {
    let n = this.dst.writableLength;
    for (const s of this.slots) if (s.spec.active && s.handler.held) n += s.handler.held();
    return n;
  }

  private forward(slot: Slot, chunk: Chunk): void {
    if (slot.disposed || slot.sentEnd) return;
    const next = this.slots[this.slots.indexOf(slot) + 1];
    if (next === undefined) this.sink(chunk);
    else if (!next.gotEnd) next.handler.write(chunk);
  }

  private forwardEnd(slot: Slot): void {
    if (slot.disposed || slot.sentEnd) return;
    slot.sentEnd = true;
    this.endAt(this.slots.indexOf(slot) + 1);
  }

  /** passes end-of-stream to the slot at index `i` (or the destination) */
  private endAt(i: number): void {
    const next = this.slots[i];
    if (next === undefined) this.sinkEnd();
    else if (!next.gotEnd) {
      next.gotEnd = true;
      next.handler.end();
    }
  }

  /** a toxic closes the connection: everything it pushed before still goes through the rest of the pipeline */
  private closeFrom(slot: Slot): void {
    if (slot.disposed || slot.sentEnd || this.done) return;
    this.closeAtSink = true;
    if (!this.inputStopped) {
      this.inputStopped = true;
      this.detachPipeline();
      this.src.pause();
    }
    this.forwardEnd(slot);
  }

  private sink(chunk: Chunk): void {
    if (this.sinkEnded || this.dst.destroyed) return;
    this.dst.write(chunk.data);
  }

  private sinkEnd(): void {
    if (this.sinkEnded) return;
    this.sinkEnded = true;
    if (!this.dst.destroyed) this.dst.end();
    if (this.closeAtSink) this.owner.close();
  }
}

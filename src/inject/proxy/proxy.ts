/** One proxy: a listener, its connections (links) and its toxics. */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { FaultlineError } from '../../core/errors.js';
import { splitHostPort } from '../../core/net.js';
import type { Rng } from '../../core/rng.js';
import { toxicJson, type ToxicEntry } from './entry.js';
import { Link, type LinkHost } from './link.js';
import type { ProxyJson } from './types.js';

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "localhost:0" → "127.0.0.1:0" (Toxiproxy resolves listen addresses the same way) */
export function normalizeListen(listen: string): string {
  const { host, port } = splitHostPort(listen, 'listen');
  return formatHostPort(host === 'localhost' ? '127.0.0.1' : host, port);
}

export interface ProxyCounters {
  connectionsTotal: number;
  /** client → proxy, proxy → upstream, upstream → proxy, proxy → client, of closed connections */
  upstreamReceived: number;
  upstreamSent: number;
  downstreamReceived: number;
  downstreamSent: number;
}

export class Proxy implements LinkHost {
  enabled = false;
  readonly toxics: ToxicEntry[] = [];
  readonly links = new Set<Link>();
  readonly counters: ProxyCounters = { connectionsTotal: 0, upstreamReceived: 0, upstreamSent: 0, downstreamReceived: 0, downstreamSent: 0 };
  private server?: Server;
  private upstreamHost: string;
  private upstreamPort: number;

  constructor(
    readonly name: string,
    public listen: string,
    private upstreamAddr: string,
    private readonly rng: Rng,
  ) {
    ({ host: this.upstreamHost, port: this.upstreamPort } = splitHostPort(upstreamAddr, 'upstream'));
  }

  get upstream(): string {
    return this.upstreamAddr;
  }

  set upstream(addr: string) {
    this.upstreamAddr = addr;
    ({ host: this.upstreamHost, port: this.upstreamPort } = splitHostPort(addr, 'upstream'));
  }

  async start(): Promise<void> {
    if (this.enabled) return;
    const { host, port } = splitHostPort(normalizeListen(this.listen), 'listen');
    const server = createServer({ allowHalfOpen: true, noDelay: true }, this.onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.removeListener('error', reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      throw new FaultlineError('FL_ERR_PROXY_LISTEN', `listen: proxy ${this.name} could not listen on ${this.listen} (${e.code ?? e.message}); is the port in use?`, {
        cause: e,
        context: { attribute: 'listen' },
      });
    });
    server.on('error', () => undefined);
    const addr = server.address() as AddressInfo;
    this.listen = formatHostPort(addr.address, addr.port);
    this.server = server;
    this.enabled = true;
  }

  /** closes the listener and every connection (Toxiproxy's enabled=false) */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.server;
    this.server = undefined;
    for (const l of this.links) l.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addToxic(entry: ToxicEntry): void {
    this.toxics.push(entry);
    for (const l of this.links) l.addToxic(entry);
  }

  updateToxic(entry: ToxicEntry): void {
    for (const l of this.links) l.updateToxic(entry);
  }

  removeToxic(entry: ToxicEntry): boolean {
    const i = this.toxics.indexOf(entry);
    if (i === -1) return false;
    this.toxics.splice(i, 1);
    entry.cancelExpiry?.();
    for (const l of this.links) l.removeToxic(entry);
    return true;
  }

  forkRng(): Rng {
    return this.rng.fork();
  }

  linkClosed(link: Link): void {
    if (!this.links.delete(link)) return;
    const c = this.counters;
    c.upstreamReceived += link.client.bytesRead;
    c.upstreamSent += link.upstream.bytesWritten;
    c.downstreamReceived += link.upstream.bytesRead;
    c.downstreamSent += link.client.bytesWritten;
  }

  /** byte counters including live connections */
  bytes(): Omit<ProxyCounters, 'connectionsTotal'> {
    const c = { ...this.counters };
    for (const l of this.links) {
      c.upstreamReceived += l.client.bytesRead;
      c.upstreamSent += l.upstream.bytesWritten;
      c.downstreamReceived += l.upstream.bytesRead;
      c.downstreamSent += l.client.bytesWritten;
    }
    return c;
  }

  toJSON(): ProxyJson {
    return { name: this.name, listen: this.listen, upstream: this.upstreamAddr, enabled: this.enabled, toxics: this.toxics.map(toxicJson) };
  }

  private readonly onConnection = (client: Socket): void => {
    const upstream = connect({ host: this.upstreamHost, port: this.upstreamPort, allowHalfOpen: true, noDelay: true });
    const link = new Link(this, client, upstream);
    this.links.add(link);
    this.counters.connectionsTotal++;
    link.start(this.toxics);
  };
}

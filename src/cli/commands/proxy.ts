import { FaultlineError } from '../../core/errors.js';
import { parseDurationMs } from '../../core/duration.js';
import { splitHostPort } from '../../core/net.js';
import { createProxyServer } from '../../inject/proxy/api.js';
import { DEFAULT_API, ProxyApiClient } from '../../inject/proxy/client.js';
import type { ProxyJson, ToxicJson, ToxicSpec } from '../../inject/proxy/types.js';
import type { RegisterCommands } from '../context.js';

function int(field: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: expected a whole number between ${min} and ${max}, got "${v}"`);
    return n;
  };
}

function number(field: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field}: expected a number, got "${v}"`);
    return n;
  };
}

/** "latency=100", "path=/api/*", 'set={"x-a":"1"}': JSON values where they parse, strings otherwise */
export function attribute(v: string, prev: Record<string, unknown> = {}): Record<string, unknown> {
  const i = v.indexOf('=');
  if (i <= 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--attribute: expected key=value, got "${v}"`);
  const raw = v.slice(i + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...prev, [v.slice(0, i)]: value };
}

export const describeToxic = (t: ToxicJson): string =>
  `${t.name} (${t.type}, ${t.stream}, toxicity ${t.toxicity}) ${JSON.stringify(t.attributes)} expires ${t.expires_at ?? 'n/a'}`;

const describeProxy = (p: ProxyJson): string =>
  [`${p.name}  ${p.listen} → ${p.upstream}${p.enabled ? '' : '  (disabled)'}`, ...(p.toxics ?? []).map((t) => `    ${describeToxic(t)}`)].join('\n');

interface ApiOpts {
  api: string;
  token?: string;
}

const client = (o: ApiOpts): ProxyApiClient => new ProxyApiClient(o.api, { token: o.token ?? process.env.FAULTLINE_PROXY_TOKEN });

export const register: RegisterCommands = (program, ctx) => {
  const proxy = program.command('proxy').description('the Toxiproxy-compatible TCP/HTTP fault proxy: run its API, list proxies, add and remove toxics');

  proxy
    .command('serve')
    .description(
      'start the proxy API (Toxiproxy-compatible, default 127.0.0.1:8474) and the proxies listed in faultline.yaml (proxy.proxies); stays up until SIGINT/SIGTERM, which removes every toxic (recorded as reverts) and closes',
    )
    .option('--host <host>', 'API address (default: proxy.listen from the config, else 127.0.0.1); a non-loopback address needs --token')
    .option('--port <port>', 'API port (default: proxy.listen from the config, else 8474; 0 = any free port)', int('--port', 0, 65535))
    .option('--seed <n>', 'seed for toxicity draws, jitter, slicing and loss (default: config defaults.seed, else random)', int('--seed', 0, 2 ** 32 - 1))
    .option('--default-ttl <duration>', 'time-to-live of toxics created without "ttl" (e.g. 30s, 15m)', '15m')
    .option('--token <token>', 'require "Authorization: Bearer <token>" on every API call (also allows non-loopback listen addresses)')
    .option('--allow-origin <origin...>', 'browser origins allowed to call the API (others get 403)')
    .action(async (opts: { host?: string; port?: number; seed?: number; defaultTtl: string; token?: string; allowOrigin?: string[] }) => {
      const c = ctx();
      const config = c.config();
      const fromConfig = splitHostPort(config.proxy.listen, 'proxy.listen');
      const seed = opts.seed ?? config.defaults.seed ?? (Date.now() ^ (process.pid << 16)) >>> 0;
      const defaultToxicTtlMs = parseDurationMs(opts.defaultTtl, '--default-ttl');
      if (!(defaultToxicTtlMs > 0)) throw new FaultlineError('FL_ERR_TTL_REQUIRED', '--default-ttl: must be positive, e.g. 15m');
      const server = createProxyServer({
        host: opts.host ?? fromConfig.host,
        port: opts.port ?? fromConfig.port,
        token: opts.token ?? process.env.FAULTLINE_PROXY_TOKEN,
        allowedOrigins: opts.allowOrigin,
        seed,
        defaultToxicTtlMs,
        guard: c.guard(),
        actor: 'proxy-serve',
      });
      const addr = await server.listen();
      let stopping: Promise<void> | undefined;
      const stop = (signal: string): Promise<void> =>
        (stopping ??= (async () => {
          const reverted = server.registry.removeAllToxics('revert');
          await server.close();
          c.progress(`faultline proxy: ${signal}: reverted ${reverted} toxic(s), closed`);
        })());
      const done = new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop(sig).then(resolve));
      });
      try {
        await server.registry.populate(config.proxy.proxies.map((p) => ({ name: p.name, listen: p.listen, upstream: p.upstream })));
      } catch (e) {
        await server.close();
        throw e;
      }
      // the ledger (SQLite) is opened only now, so the API answers as early as possible
      server.registry.setLedger(c.ledger());
      const api = `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`;
      const proxies = server.registry.list();
      c.print({ api, host: addr.host, port: addr.port, seed, defaultToxicTtlMs, pid: process.pid, proxies }, () =>
        [`faultline proxy API listening on ${api} (seed ${seed}, default toxic ttl ${opts.defaultTtl}, pid ${process.pid})`, ...proxies.map((p) => `  ${describeProxy(p)}`)].join('\n'),
      );
      await done;
    });

  proxy
    .command('list')
    .description('list the proxies and their toxics of a running proxy API')
    .option('--api <url>', 'address of the proxy API', DEFAULT_API)
    .option('--token <token>', 'API token (or $FAULTLINE_PROXY_TOKEN)')
    .action(async (opts: ApiOpts) => {
      const all = Object.values(await client(opts).list());
      ctx().print(all, () => (all.length === 0 ? 'no proxies' : all.map(describeProxy).join('\n')));
    });

  const toxic = proxy.command('toxic').description('add or remove toxics on a running proxy API');

  toxic
    .command('add <proxy>')
    .description('add a toxic to a proxy, e.g. `faultline proxy toxic add redis -t latency -a latency=200 -a jitter=20 --ttl 30s` (see docs/reference/toxics.md)')
    .requiredOption('-t, --type <type>', 'toxic type: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, loss, stall, blackhole, http_status, http_abort, http_delay, http_header, http_body')
    .option('-n, --name <name>', 'toxic name (default <type>_<stream>)')
    .option('-s, --stream <stream>', 'upstream (client → server) or downstream (server → client)', 'downstream')
    .option('--toxicity <p>', 'share of connections affected, 0..1', number('--toxicity'), 1)
    .option('-a, --attribute <key=value>', 'toxic attribute, repeatable (values are JSON where they parse)', attribute, {})
    .option('--ttl <duration>', 'time-to-live (e.g. 30s); default: the server\'s default')
    .option('--api <url>', 'address of the proxy API', DEFAULT_API)
    .option('--token <token>', 'API token (or $FAULTLINE_PROXY_TOKEN)')
    .action(async (name: string, opts: ApiOpts & { type: string; name?: string; stream: string; toxicity: number; attribute: Record<string, unknown>; ttl?: string }) => {
      const spec: ToxicSpec = { type: opts.type, stream: opts.stream as ToxicSpec['stream'], toxicity: opts.toxicity, attributes: opts.attribute };
      if (opts.name !== undefined) spec.name = opts.name;
      if (opts.ttl !== undefined) spec.ttl = parseDurationMs(opts.ttl, '--ttl');
      const t = await client(opts).addToxic(name, spec);
      ctx().print(t, `added ${describeToxic(t)} to ${name}`);
    });

  toxic
    .command('remove <proxy> <toxic>')
    .description('remove a toxic from a proxy')
    .option('--api <url>', 'address of the proxy API', DEFAULT_API)
    .option('--token <token>', 'API token (or $FAULTLINE_PROXY_TOKEN)')
    .action(async (name: string, toxicName: string, opts: ApiOpts) => {
      await client(opts).removeToxic(name, toxicName);
      ctx().print({ proxy: name, toxic: toxicName, removed: true }, `removed ${toxicName} from ${name}`);
    });
};

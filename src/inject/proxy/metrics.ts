/** Prometheus text exposition of the proxies (GET /metrics). */
import type { ProxyRegistry } from './registry.js';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderMetrics(registry: ProxyRegistry): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, rows: Array<[Record<string, string>, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) {
      const l = Object.entries(labels)
        .map(([k, val]) => `${k}="${esc(val)}"`)
        .join(',');
      lines.push(`${name}{${l}} ${v}`);
    }
  };
  const proxies = registry.list().map((j) => registry.findProxyOrThrow(j.name));
  const recv: Array<[Record<string, string>, number]> = [];
  const sent: Array<[Record<string, string>, number]> = [];
  for (const p of proxies) {
    const b = p.bytes();
    const base = { proxy: p.name, listener: p.listen, upstream: p.upstream };
    recv.push([{ ...base, direction: 'upstream' }, b.upstreamReceived], [{ ...base, direction: 'downstream' }, b.downstreamReceived]);
    sent.push([{ ...base, direction: 'upstream' }, b.upstreamSent], [{ ...base, direction: 'downstream' }, b.downstreamSent]);
  }
  family('faultline_proxy_received_bytes_total', 'counter', 'Bytes the proxy received, per direction (upstream: from clients; downstream: from the upstream server).', recv);
  family('faultline_proxy_sent_bytes_total', 'counter', 'Bytes the proxy sent, per direction (upstream: to the upstream server; downstream: to clients).', sent);
  family('faultline_proxy_connections', 'gauge', 'Open client connections.', proxies.map((p) => [{ proxy: p.name }, p.links.size]));
  family('faultline_proxy_connections_total', 'counter', 'Client connections accepted.', proxies.map((p) => [{ proxy: p.name }, p.counters.connectionsTotal]));
  family('faultline_proxy_toxics_active', 'gauge', 'Toxics installed on the proxy.', proxies.map((p) => [{ proxy: p.name }, p.toxics.length]));
  family('faultline_proxy_enabled', 'gauge', '1 when the proxy listens.', proxies.map((p) => [{ proxy: p.name }, p.enabled ? 1 : 0]));
  family('faultline_proxy_toxics_expired_total', 'counter', 'Toxics removed because their TTL ran out.', [[{}, registry.expiredTotal]]);
  return lines.join('\n').replace(/\{\} /g, ' ') + '\n';
}

/** A small client of the proxy API (faultline's own or any Toxiproxy), used by the CLI and `faultline inject`. */
import { ERROR_CODES, type ErrorCode } from '../../core/error-codes.js';
import { FaultlineError } from '../../core/errors.js';
import type { ProxyJson, ProxyPatch, ProxySpec, ToxicJson, ToxicPatch, ToxicSpec } from './types.js';

export const DEFAULT_API = 'http://127.0.0.1:8474';

const BY_STATUS: Record<number, ErrorCode> = { 400: 'FL_ERR_INVALID_ARGUMENT', 401: 'FL_ERR_UNAUTHORIZED', 403: 'FL_ERR_SAFE_ZONE', 404: 'FL_ERR_PROXY_NOT_FOUND', 409: 'FL_ERR_PROXY_EXISTS' };

export class ProxyApiClient {
  readonly base: string;

  constructor(
    api: string = DEFAULT_API,
    private readonly opts: { token?: string; timeoutMs?: number } = {},
  ) {
    this.base = api.replace(/\/+$/, '');
  }

  list(): Promise<Record<string, ProxyJson>> {
    return this.call('GET', '/proxies');
  }

  get(proxy: string): Promise<ProxyJson> {
    return this.call('GET', `/proxies/${encodeURIComponent(proxy)}`);
  }

  createProxy(spec: ProxySpec): Promise<ProxyJson> {
    return this.call('POST', '/proxies', spec);
  }

  updateProxy(proxy: string, patch: ProxyPatch): Promise<ProxyJson> {
    return this.call('PATCH', `/proxies/${encodeURIComponent(proxy)}`, patch);
  }

  deleteProxy(proxy: string): Promise<void> {
    return this.call('DELETE', `/proxies/${encodeURIComponent(proxy)}`);
  }

  populate(specs: ProxySpec[]): Promise<{ proxies: ProxyJson[] }> {
    return this.call('POST', '/populate', specs);
  }

  addToxic(proxy: string, spec: ToxicSpec): Promise<ToxicJson> {
    return this.call('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, spec);
  }

  updateToxic(proxy: string, toxic: string, patch: ToxicPatch): Promise<ToxicJson> {
    return this.call('PATCH', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`, patch);
  }

  removeToxic(proxy: string, toxic: string): Promise<void> {
    return this.call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
  }

  reset(): Promise<void> {
    return this.call('POST', '/reset');
  }

  async version(): Promise<string> {
    return (await this.call<string>('GET', '/version', undefined, true)).trim();
  }

  private async call<T>(method: string, path: string, body?: unknown, text = false): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.token !== undefined) headers.authorization = `Bearer ${this.opts.token}`;
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new FaultlineError('FL_ERR_PROXY_UNREACHABLE', `the proxy API at ${this.base} did not answer (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); start it with \`faultline proxy serve\` or pass --api`, { cause: e });
    }
    const raw = await res.text();
    if (!res.ok) {
      let message = raw;
      let code: ErrorCode | undefined;
      try {
        const j = JSON.parse(raw) as { error?: string; code?: string };
        message = j.error ?? raw;
        if (j.code !== undefined && j.code in ERROR_CODES) code = j.code as ErrorCode;
      } catch {
        // not JSON: keep the text
      }
      throw new FaultlineError(code ?? BY_STATUS[res.status] ?? 'FL_ERR_INTERNAL', `${method} ${path}: ${res.status} ${message.trim()}`, { context: { status: res.status } });
    }
    if (text) return raw as T;
    return (raw === '' ? undefined : JSON.parse(raw)) as T;
  }
}

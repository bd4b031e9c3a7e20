/**
 * An incremental HTTP/1.1 message framer (RFC 9112): it finds where each request or response starts and ends
 * (Content-Length, chunked, read-until-close, no body, tunnels) without copying body bytes. Bytes it cannot
 * frame (a malformed head, a tunnel after CONNECT or 101) come out as `opaque` and pass unchanged.
 */

export type HeaderList = Array<[name: string, value: string]>;

export interface RequestHead {
  kind: 'request';
  method: string;
  /** request-target as sent */
  target: string;
  /** path without the query string ("/a/b"), "*" for OPTIONS *, the authority for CONNECT */
  path: string;
  version: string;
  headers: HeaderList;
}

export interface ResponseHead {
  kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: HeaderList;
}

export type BodyMode =
  | { type: 'none' }
  | { type: 'length'; length: number }
  | { type: 'chunked' }
  | { type: 'close' }
  | { type: 'tunnel' };

export type ParseEvent =
  | { type: 'head'; head: RequestHead | ResponseHead; raw: Buffer; body: BodyMode }
  | { type: 'body'; raw: Buffer }
  | { type: 'end' }
  | { type: 'opaque'; raw: Buffer };

export class HttpParseError extends Error {}

const MAX_HEAD = 64 * 1024;
const MAX_LINE = 4096;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;

export function headerValues(headers: HeaderList, name: string): string[] {
  const n = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of headers) if (k.toLowerCase() === n) out.push(v);
  return out;
}

/** True when the header (comma-separated list) contains the token, case-insensitively. */
export function headerHasToken(headers: HeaderList, name: string, token: string): boolean {
  const t = token.toLowerCase();
  return headerValues(headers, name).some((v) => v.split(',').some((p) => p.trim().toLowerCase() === t));
}

function contentLength(headers: HeaderList): number | undefined {
  const values = headerValues(headers, 'content-length').flatMap((v) => v.split(',').map((p) => p.trim()));
  if (values.length === 0) return undefined;
  const first = values[0] as string;
  if (!/^\d{1,15}$/.test(first) || values.some((v) => v !== first)) throw new HttpParseError('invalid Content-Length');
  return Number(first);
}

function lastTransferCoding(headers: HeaderList): string | undefined {
  const codings = headerValues(headers, 'transfer-encoding').flatMap((v) => v.split(',').map((p) => p.trim().toLowerCase())).filter((c) => c !== '');
  return codings.length === 0 ? undefined : codings[codings.length - 1];
}

export function requestBodyMode(head: RequestHead): BodyMode {
  if (head.method === 'CONNECT') return { type: 'tunnel' };
  const te = lastTransferCoding(head.headers);
  if (te !== undefined) {
    if (te !== 'chunked') throw new HttpParseError('request Transfer-Encoding must end with chunked');
    return { type: 'chunked' };
  }
  const cl = contentLength(head.headers);
  return cl === undefined || cl === 0 ? { type: 'none' } : { type: 'length', length: cl };
}

/** RFC 9112 §6.3, given the method of the request this response answers. */
export function responseBodyMode(head: ResponseHead, requestMethod: string): BodyMode {
  const s = head.status;
  if (s === 101) return { type: 'tunnel' };
  if (requestMethod === 'CONNECT' && s >= 200 && s < 300) return { type: 'tunnel' };
  if (requestMethod === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return { type: 'none' };
  const te = lastTransferCoding(head.headers);
  if (te !== undefined) return te === 'chunked' ? { type: 'chunked' } : { type: 'close' };
  const cl = contentLength(head.headers);
  if (cl === undefined) return { type: 'close' };
  return cl === 0 ? { type: 'none' } : { type: 'length', length: cl };
}

function parseHeaders(lines: string[]): HeaderList {
  const headers: HeaderList = [];
  for (const line of lines) {
    if (line === '') break;
    if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpParseError('obsolete header folding');
    const i = line.indexOf(':');
    const name = line.slice(0, i);
    if (i <= 0 || !TOKEN.test(name)) throw new HttpParseError(`bad header line ${JSON.stringify(line.slice(0, 40))}`);
    headers.push([name, line.slice(i + 1).trim()]);
  }
  return headers;
}

function pathOf(method: string, target: string): string {
  if (method === 'CONNECT' || target === '*') return target;
  if (target.startsWith('/')) {
    const q = target.indexOf('?');
    return q === -1 ? target : target.slice(0, q);
  }
  try {
    return new URL(target).pathname;
  } catch {
    throw new HttpParseError(`bad request-target ${JSON.stringify(target.slice(0, 40))}`);
  }
}

export function parseRequestHead(text: string): RequestHead {
  const lines = text.split('\r\n');
  const m = REQUEST_LINE.exec(lines[0] ?? '');
  if (!m) throw new HttpParseError('bad request line');
  const method = m[1] as string;
  const target = m[2] as string;
  return { kind: 'request', method, target, path: pathOf(method, target), version: m[3] as string, headers: parseHeaders(lines.slice(1)) };
}

export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (!m) throw new HttpParseError('bad status line');
  return { kind: 'response', version: m[1] as string, status: Number(m[2]), reason: m[3] ?? '', headers: parseHeaders(lines.slice(1)) };
}

/** True when `buf` starts like a request line ("GET /", "POST /x HTTP/1.1"...). Used to join a connection mid-way. */
export function looksLikeRequestStart(buf: Buffer): boolean {
  const head = buf.subarray(0, Math.min(buf.length, 24)).toString('latin1');
  return /^[A-Z]{3,12} [^ \r\n]/.test(head);
}

type State = 'head' | 'fixed' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'close' | 'opaque';

export class MessageParser {
  private state: State = 'head';
  private headParts: Buffer[] = [];
  private headLen = 0;
  private remaining = 0;
  private line = '';

  /** `bodyMode` decides the framing of each message once its head is parsed (throw HttpParseError to give up). */
  constructor(
    readonly kind: 'request' | 'response',
    private readonly bodyMode: (head: RequestHead | ResponseHead) => BodyMode,
  ) {}

  /** between two messages, nothing partial buffered */
  get atBoundary(): boolean {
    return this.state === 'head' && this.headLen === 0;
  }

  /** part of a head is buffered (not yet passed on) */
  get holdsBytes(): boolean {
    return this.headLen > 0;
  }

  get isOpaque(): boolean {
    return this.state === 'opaque';
  }

  /** from now on every byte is opaque (a tunnel) */
  toOpaque(out: ParseEvent[]): void {
    if (this.headLen > 0) out.push({ type: 'opaque', raw: Buffer.concat(this.headParts) });
    this.headParts = [];
    this.headLen = 0;
    this.state = 'opaque';
  }

  feed(buf: Buffer, out: ParseEvent[]): void {
    let off = 0;
    while (off < buf.length) {
      switch (this.state) {
        case 'head':
          off = this.readHead(buf, off, out);
          break;
        case 'fixed':
        case 'chunk-data': {
          const n = Math.min(this.remaining, buf.length - off);
          out.push({ type: 'body', raw: buf.subarray(off, off + n) });
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.state === 'fixed') this.complete(out);
            else {
              this.state = 'chunk-crlf';
              this.remaining = 2;
            }
          }
          break;
        }
        case 'chunk-crlf': {
          const n = Math.min(this.remaining, buf.length - off);
          const seg = buf.subarray(off, off + n);
          for (const b of seg) if (b !== 0x0d && b !== 0x0a) return this.giveUp(buf, off, out);
          out.push({ type: 'body', raw: seg });
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'chunk-size';
          break;
        }
        case 'chunk-size':
        case 'trailers': {
          const nl = buf.indexOf(0x0a, off);
          const end = nl === -1 ? buf.length : nl + 1;
          const seg = buf.subarray(off, end);
          this.line += seg.toString('latin1');
          if (this.line.length > MAX_LINE) return this.giveUp(buf, off, out);
          out.push({ type: 'body', raw: seg });
          off = end;
          if (nl !== -1) {
            const line = this.line.replace(/\r?\n$/, '');
            this.line = '';
            if (this.state === 'trailers') {
              if (line === '') this.complete(out);
            } else {
              const size = (line.split(';')[0] ?? '').trim();
              if (!/^[0-9a-fA-F]{1,13}$/.test(size)) return this.giveUp(buf, off, out);
              const n = parseInt(size, 16);
              if (n === 0) this.state = 'trailers';
              else {
                this.state = 'chunk-data';
                this.remaining = n;
              }
            }
          }
          break;
        }
        case 'close':
        case 'opaque':
          out.push({ type: this.state === 'close' ? 'body' : 'opaque', raw: off === 0 ? buf : buf.subarray(off) });
          off = buf.length;
          break;
      }
    }
  }

  /** end of input: a read-until-close body is complete */
  finish(out: ParseEvent[]): void {
    if (this.state === 'close') this.complete(out);
    else if (this.headLen > 0) this.toOpaque(out);
  }

  private complete(out: ParseEvent[]): void {
    this.state = 'head';
    out.push({ type: 'end' });
  }

  /** framing lost: the rest of the stream passes unchanged */
  private giveUp(buf: Buffer, off: number, out: ParseEvent[]): void {
    this.state = 'opaque';
    if (off < buf.length) out.push({ type: 'opaque', raw: buf.subarray(off) });
  }

  private readHead(buf: Buffer, off: number, out: ParseEvent[]): number {
    if (this.headLen === 0) {
      // RFC 9112 §2.2: ignore empty lines before a message
      let i = off;
      while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
      if (i > off) out.push({ type: 'opaque', raw: buf.subarray(off, i) });
      off = i;
      if (off === buf.length) return off;
    }
    const prevLen = this.headLen;
    const rest = buf.subarray(off);
    const all = prevLen === 0 ? rest : Buffer.concat([...this.headParts, rest]);
    const at = all.indexOf('\r\n\r\n', Math.max(0, prevLen - 3), 'latin1');
    if (at === -1) {
      if (all.length > MAX_HEAD) {
        this.headParts = [];
        this.headLen = 0;
        this.state = 'opaque';
        out.push({ type: 'opaque', raw: all });
        return buf.length;
      }
      this.headParts = [all];
      this.headLen = all.length;
      return buf.length;
    }
    const end = at + 4;
    const raw = all.subarray(0, end);
    this.headParts = [];
    this.headLen = 0;
    try {
      const text = raw.toString('latin1', 0, at);
      const head = this.kind === 'request' ? parseRequestHead(text) : parseResponseHead(text);
      const body = this.bodyMode(head);
      out.push({ type: 'head', head, raw, body });
      switch (body.type) {
        case 'none':
          this.complete(out);
          break;
        case 'length':
          this.state = 'fixed';
          this.remaining = body.length;
          break;
        case 'chunked':
          this.state = 'chunk-size';
          break;
        case 'close':
          this.state = 'close';
          break;
        case 'tunnel':
          this.complete(out);
          this.state = 'opaque';
          break;
      }
    } catch (e) {
      if (!(e instanceof HttpParseError)) throw e;
      this.state = 'opaque';
      out.push({ type: 'opaque', raw });
    }
    return off + (end - prevLen);
  }
}

/** Serializes a response head (status line + headers) back to bytes. */
export function serializeResponseHead(head: ResponseHead): Buffer {
  let s = `${head.version} ${head.status} ${head.reason}\r\n`;
  for (const [k, v] of head.headers) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 409: 'Conflict',
  410: 'Gone', 418: "I'm a teapot", 422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Status';
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageParser, requestBodyMode, responseBodyMode, type ParseEvent, type RequestHead, type ResponseHead } from '../../../src/inject/proxy/http/parser.js';

const req = () => new MessageParser('request', (h) => requestBodyMode(h as RequestHead));
const res = (method = 'GET') => new MessageParser('response', (h) => responseBodyMode(h as ResponseHead, method));

/** feeds `input` split at `cuts`; returns a compact trace: heads, body bytes per message, ends, opaque bytes */
function trace(p: MessageParser, input: Buffer, cuts: number[] = [], eof = false): string[] {
  const events: ParseEvent[] = [];
  let prev = 0;
  for (const c of [...new Set(cuts)].filter((c) => c > 0 && c < input.length).sort((a, b) => a - b).concat(input.length)) {
    p.feed(input.subarray(prev, c), events);
    prev = c;
  }
  if (eof) p.finish(events);
  const out: string[] = [];
  let body = '';
  for (const e of events) {
    if (e.type === 'body') body += e.raw.toString('latin1');
    else {
      if (body !== '') out.push(`body:${body}`);
      body = '';
      if (e.type === 'head') out.push(e.head.kind === 'request' ? `req:${e.head.method} ${e.head.path}` : `res:${e.head.status}`);
      else if (e.type === 'end') out.push('end');
      else if (out[out.length - 1]?.startsWith('opaque:')) out[out.length - 1] += e.raw.toString('latin1');
      else out.push(`opaque:${e.raw.toString('latin1')}`);
    }
  }
  if (body !== '') out.push(`body:${body}`);
  return out;
}

const KEEPALIVE = Buffer.from(
  'GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n' +
    'POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello' +
    'POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n' +
    '\r\nGET http://h/d HTTP/1.1\r\n\r\n',
  'latin1',
);

describe('HTTP/1.1 framing', () => {
  it('frames keep-alive requests: no body, Content-Length, chunked with extensions and trailers, absolute-form', () => {
    expect(trace(req(), KEEPALIVE)).toEqual([
      'req:GET /a',
      'end',
      'req:POST /b',
      'body:hello',
      'end',
      'req:POST /c',
      'body:3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n',
      'end',
      'opaque:\r\n',
      'req:GET /d',
      'end',
    ]);
  });

  it('gives the same result however the bytes are split (property)', () => {
    const whole = trace(req(), KEEPALIVE);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: KEEPALIVE.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(trace(req(), KEEPALIVE, cuts)).toEqual(whole);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  it('passes every byte through exactly once (property, random messages)', () => {
    const message = fc.record({
      path: fc.stringMatching(/^\/[a-z0-9/]{0,12}$/),
      body: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
      chunked: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), (msgs, cuts) => {
        let text = '';
        for (const m of msgs) {
          if (m.chunked) text += `POST ${m.path} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${m.body.length > 0 ? `${m.body.length.toString(16)}\r\n${m.body}\r\n` : ''}0\r\n\r\n`;
          else text += `POST ${m.path} HTTP/1.1\r\nContent-Length: ${m.body.length}\r\n\r\n${m.body}`;
        }
        const input = Buffer.from(text, 'latin1');
        const events: ParseEvent[] = [];
        const p = req();
        let prev = 0;
        for (const c of [...new Set(cuts.map((c) => c % input.length))].sort((a, b) => a - b).concat(input.length)) {
          p.feed(input.subarray(prev, c), events);
          prev = c;
        }
        const bytes = Buffer.concat(events.flatMap((e) => (e.type === 'end' ? [] : [e.raw])));
        expect(bytes.equals(input)).toBe(true);
        expect(events.filter((e) => e.type === 'end')).toHaveLength(msgs.length);
        expect(p.atBoundary).toBe(true);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 4000 },
    );
  });

  it('frames responses by the request method and status: HEAD, 204, 304, 1xx, read-until-close, 101 tunnel', () => {
    expect(trace(res('HEAD'), Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'))).toEqual(['res:200', 'end']);
    expect(trace(res(), Buffer.from('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n'))).toEqual(['res:204', 'end', 'res:304', 'end']);
    expect(trace(res(), Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))).toEqual(['res:100', 'end', 'res:200', 'body:ok', 'end']);
    expect(trace(res(), Buffer.from('HTTP/1.0 200 OK\r\n\r\nuntil close'), [], true)).toEqual(['res:200', 'body:until close', 'end']);
    expect(trace(res(), Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello', 'latin1'))).toEqual(['res:101', 'end', 'opaque:\x81\x05hello']);
    expect(trace(res('CONNECT'), Buffer.from('HTTP/1.1 200 OK\r\n\r\ntunnel bytes'))).toEqual(['res:200', 'end', 'opaque:tunnel bytes']);
  });

  it('turns what it cannot frame into opaque bytes instead of failing', () => {
    expect(trace(req(), Buffer.from('NOT HTTP AT ALL\r\n\r\nmore'))).toEqual(['opaque:NOT HTTP AT ALL\r\n\r\nmore']);
    expect(trace(req(), Buffer.from('POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx'))).toEqual(['opaque:POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx']);
    expect(trace(req(), Buffer.from('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'))[0]).toBe('req:POST /');
  });
});

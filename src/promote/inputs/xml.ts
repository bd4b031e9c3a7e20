/**
 * A small XML reader for the subset coverage tools write (cobertura): elements, attributes in single or double
 * quotes, character data, the five predefined entities and numeric character references, CDATA sections.
 * The XML declaration, processing instructions, comments and a DOCTYPE (with an internal subset) are skipped.
 * No namespaces processing, no DTD-defined entities. Linear in the input: it scans with indexOf, and positions are
 * turned into line:column only when something is wrong.
 */
import { lineColumnAt } from './report-error.js';

export interface XmlElement {
  name: string;
  /** decoded attribute values (an object without prototype) */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** decoded character data directly inside the element (CDATA included), untrimmed */
  text: string;
  /** offset of the `<` that opens the element, for located messages */
  offset: number;
}

export type XmlParseResult = { ok: true; root: XmlElement } | { ok: false; message: string; line: number; column: number };

class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c > 127;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Decode entity and character references in `raw`, which starts at `offset` in the document. */
export function decodeXmlText(raw: string, offset = 0): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', i)) {
    out += raw.slice(i, amp);
    const semi = raw.indexOf(';', amp);
    if (semi === -1 || semi - amp > 12) throw new XmlSyntaxError('"&" must start an entity such as &amp; (write &amp; for a literal "&")', offset + amp);
    const ref = raw.slice(amp + 1, semi);
    let ch: string | undefined;
    if (ref.startsWith('#x') || ref.startsWith('#X')) {
      const n = /^[0-9A-Fa-f]+$/.test(ref.slice(2)) ? Number.parseInt(ref.slice(2), 16) : NaN;
      ch = Number.isFinite(n) && n <= 0x10ffff ? String.fromCodePoint(n) : undefined;
    } else if (ref.startsWith('#')) {
      const n = /^[0-9]+$/.test(ref.slice(1)) ? Number.parseInt(ref.slice(1), 10) : NaN;
      ch = Number.isFinite(n) && n <= 0x10ffff ? String.fromCodePoint(n) : undefined;
    } else {
      ch = Object.hasOwn(PREDEFINED, ref) ? PREDEFINED[ref] : undefined;
    }
    if (ch === undefined) throw new XmlSyntaxError(`unknown entity &${ref}; (only &amp; &lt; &gt; &quot; &apos; and &#…; are known)`, offset + amp);
    out += ch;
    i = semi + 1;
  }
  return out + raw.slice(i);
}

export function parseXml(text: string): XmlParseResult {
  try {
    return { ok: true, root: parse(text) };
  } catch (e) {
    if (!(e instanceof XmlSyntaxError)) throw e;
    const { line, column } = lineColumnAt(text, e.offset);
    return { ok: false, message: e.message, line, column };
  }
}

function parse(text: string): XmlElement {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const expectEnd = (end: string, from: number, what: string): number => {
    const j = text.indexOf(end, from);
    if (j === -1) throw new XmlSyntaxError(`unterminated ${what} (no "${end}")`, from);
    return j + end.length;
  };

  const readName = (): string => {
    const start = i;
    if (i >= n || !isNameStart(text.charCodeAt(i))) throw new XmlSyntaxError('expected a name', i);
    while (i < n && isNameChar(text.charCodeAt(i))) i++;
    return text.slice(start, i);
  };

  const skipSpace = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };

  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const raw = text.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top !== undefined) top.text += decodeXmlText(raw, i);
      else if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element', i + raw.search(/\S/));
      i = textEnd;
      if (lt === -1) break;
    }
    // at '<'
    if (text.startsWith('<!--', i)) {
      i = expectEnd('-->', i + 4, 'comment');
    } else if (text.startsWith('<?', i)) {
      i = expectEnd('?>', i + 2, 'processing instruction');
    } else if (text.startsWith('<![CDATA[', i)) {
      const top = stack[stack.length - 1];
      if (top === undefined) throw new XmlSyntaxError('CDATA outside the root element', i);
      const end = expectEnd(']]>', i + 9, 'CDATA section');
      top.text += text.slice(i + 9, end - 3);
      i = end;
    } else if (text.startsWith('<!DOCTYPE', i)) {
      if (root !== undefined || stack.length > 0) throw new XmlSyntaxError('DOCTYPE after the root element started', i);
      let j = i + 9;
      let depth = 0;
      let quote = 0;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (quote !== 0) {
          if (c === quote) quote = 0;
        } else if (c === 34 || c === 39) quote = c;
        else if (c === 91) depth++;
        else if (c === 93) depth--;
        else if (c === 62 && depth <= 0) break;
      }
      if (j >= n) throw new XmlSyntaxError('unterminated DOCTYPE', i);
      i = j + 1;
    } else if (text.startsWith('</', i)) {
      const at = i;
      i += 2;
      const name = readName();
      skipSpace();
      if (text.charCodeAt(i) !== 62) throw new XmlSyntaxError(`expected ">" to end </${name}`, i);
      i++;
      const top = stack.pop();
      if (top === undefined) throw new XmlSyntaxError(`</${name}> closes nothing`, at);
      if (top.name !== name) {
        const opened = lineColumnAt(text, top.offset);
        throw new XmlSyntaxError(`</${name}> does not match <${top.name}> opened at line ${opened.line}`, at);
      }
    } else {
      const at = i;
      i++;
      const name = readName();
      const el: XmlElement = { name, attributes: Object.create(null) as Record<string, string>, children: [], text: '', offset: at };
      for (;;) {
        const before = i;
        skipSpace();
        const c = text.charCodeAt(i);
        if (i >= n) throw new XmlSyntaxError(`unterminated <${name}> tag (truncated?)`, at);
        if (c === 62 || (c === 47 && text.charCodeAt(i + 1) === 62)) break;
        if (i === before) throw new XmlSyntaxError(`expected a space before the next attribute of <${name}>`, i);
        const attrAt = i;
        const attr = readName();
        skipSpace();
        if (text.charCodeAt(i) !== 61) throw new XmlSyntaxError(`attribute ${attr} of <${name}> has no "=value"`, i);
        i++;
        skipSpace();
        const q = text.charCodeAt(i);
        if (q !== 34 && q !== 39) throw new XmlSyntaxError(`value of ${attr} must be quoted`, i);
        const close = text.indexOf(q === 34 ? '"' : "'", i + 1);
        if (close === -1) throw new XmlSyntaxError(`unterminated value of ${attr} (truncated?)`, i);
        const raw = text.slice(i + 1, close);
        const badLt = raw.indexOf('<');
        if (badLt !== -1) throw new XmlSyntaxError(`"<" in the value of ${attr} (write &lt;)`, i + 1 + badLt);
        if (Object.hasOwn(el.attributes, attr)) throw new XmlSyntaxError(`duplicate attribute ${attr} on <${name}>`, attrAt);
        el.attributes[attr] = decodeXmlText(raw, i + 1);
        i = close + 1;
      }
      const selfClosing = text.charCodeAt(i) === 47;
      i += selfClosing ? 2 : 1;
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(el);
      else if (root !== undefined) throw new XmlSyntaxError(`second root element <${name}> (a document has one)`, at);
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  const open = stack[stack.length - 1];
  if (open !== undefined) throw new XmlSyntaxError(`<${open.name}> is never closed (truncated?)`, open.offset);
  if (root === undefined) throw new XmlSyntaxError('no root element', 0);
  return root;
}

/** Direct children named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Elements reached by following a path of child names, e.g. path(root, 'packages', 'package'). */
export function descend(el: XmlElement, ...names: string[]): XmlElement[] {
  let level = [el];
  for (const name of names) level = level.flatMap((e) => childrenNamed(e, name));
  return level;
}

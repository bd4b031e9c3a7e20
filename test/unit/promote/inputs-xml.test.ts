// The small XML reader behind the cobertura parser: the subset, the skipped parts, and located errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeXmlText, descend, parseXml, type XmlElement } from '../../../src/promote/inputs/index.js';

function rootOf(text: string): XmlElement {
  const r = parseXml(text);
  if (!r.ok) throw new Error(`${r.line}:${r.column} ${r.message}`);
  return r.root;
}

describe('xml reader', () => {
  it('reads elements, both quote styles, entities and character references, CDATA', () => {
    const root = rootOf(`<?xml version="1.0"?>\n<a x="1 &lt; 2" y='say "hi" &amp; &apos;bye&apos;'><b>t&#233;&#x41;&gt;</b><c/><b><![CDATA[<raw & text>]]></b></a>`);
    expect(root.name).toBe('a');
    expect(root.attributes).toEqual({ x: '1 < 2', y: `say "hi" & 'bye'` });
    expect(descend(root, 'b').map((b) => b.text)).toEqual(['téA>', '<raw & text>']);
    expect(root.children.map((c) => c.name)).toEqual(['b', 'c', 'b']);
  });

  it('skips the declaration, comments, processing instructions and a DOCTYPE with an internal subset', () => {
    const root = rootOf('\uFEFF<?xml version="1.0"?>\n<!-- c1 -->\n<!DOCTYPE a [ <!ENTITY e "]>"> ]>\n<?pi stuff?>\n<a><!-- <b/> --><c/></a>\n<!-- after -->\n');
    expect(root.children.map((c) => c.name)).toEqual(['c']);
  });

  it('accepts names with dashes, dots and colons, and whitespace around =', () => {
    const root = rootOf('<x:a  line-rate = "0.5"\n  b.c="2" ></x:a >');
    expect(root.name).toBe('x:a');
    expect(root.attributes['line-rate']).toBe('0.5');
    expect(root.attributes['b.c']).toBe('2');
  });

  it('an attribute called __proto__ is just an attribute', () => {
    const root = rootOf('<a __proto__="x" constructor="y"/>');
    expect(Object.keys(root.attributes)).toEqual(['__proto__', 'constructor']);
  });

  it.each([
    ['', '1:1 no root element'],
    ['<a>', '1:1 <a> is never closed (truncated?)'],
    ['<a><b></a>', '1:7 </a> does not match <b> opened at line 1'],
    ['<a/><b/>', '1:5 second root element <b>'],
    ['<a x="1" x="2"/>', '1:10 duplicate attribute x on <a>'],
    ['<a x=1/>', '1:6 value of x must be quoted'],
    ['<a x="1"y="2"/>', '1:9 expected a space before the next attribute of <a>'],
    ['<a x="<"/>', '1:7 "<" in the value of x (write &lt;)'],
    ['<a>&nbsp;</a>', '1:4 unknown entity &nbsp;'],
    ['<a>fish & chips</a>', '1:9 "&" must start an entity'],
    ['<a><!-- open', '1:8 unterminated comment'],
    ['<a x="1', '1:6 unterminated value of x (truncated?)'],
    ['<a\n  x="1"', '1:1 unterminated <a> tag (truncated?)'],
    ['hello <a/>', '1:1 text outside the root element'],
    ['<a/>\n\n  junk', '3:3 text outside the root element'],
    ['</a>', '1:1 </a> closes nothing'],
    ['<a></ >', '1:6 expected a name'],
  ])('%j → error at line:column', (text, expected) => {
    const r = parseXml(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(`${r.line}:${r.column} ${r.message}`).toContain(expected);
  });

  it('property: attribute values and text survive escaping and parsing', () => {
    const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
    const printable = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '&', '<', '>', '"', "'", 'é', '1', ';', '#') });
    fc.assert(
      fc.property(printable, printable, (attr, text) => {
        const root = rootOf(`<r v="${escape(attr)}">${escape(text)}</r>`);
        expect(root.attributes.v).toBe(attr);
        expect(root.text).toBe(text);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 5_000 },
    );
  });

  it('decodeXmlText leaves text without & alone', () => {
    expect(decodeXmlText('plain')).toBe('plain');
  });
});

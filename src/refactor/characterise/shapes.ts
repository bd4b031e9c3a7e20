/**
 * The parameter types characterisation can generate values for, read from the TypeScript checker: numbers,
 * strings, booleans, bigints, literal unions (and enums), arrays and tuples, plain object types of such fields
 * (optional ones too), string-keyed records, `undefined`, `null` and `Date`. Anything else — functions, class
 * instances, `any`, generics without a usable constraint, recursive types beyond a few levels — is refused
 * with a reason, and the function is not characterised.
 */
import type { TS } from '../ts.js';
import { typescript } from '../ts.js';

export type Shape =
  | { kind: 'number' }
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'bigint' }
  | { kind: 'date' }
  | { kind: 'undefined' }
  | { kind: 'null' }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'bigint-literal'; value: string }
  | { kind: 'union'; of: Shape[] }
  | { kind: 'array'; of: Shape }
  | { kind: 'tuple'; of: Shape[] }
  | { kind: 'object'; fields: { name: string; shape: Shape; optional: boolean }[] }
  | { kind: 'record'; of: Shape };

export interface ParamShape {
  name: string;
  shape: Shape;
  /** may be left out (`?`, a default value) */
  optional: boolean;
  /** `...rest`: `shape` is the element */
  rest: boolean;
}

export type ShapeResult = { ok: true; shape: Shape } | { ok: false; reason: string };

const MAX_DEPTH = 4;
const MAX_UNION = 24;

/** The shape of a type, or why values of it cannot be generated. */
export function shapeOfType(checker: TS.TypeChecker, type: TS.Type, at: TS.Node, depth = 0): ShapeResult {
  const t = typescript();
  const F = t.TypeFlags;
  const no = (why: string): ShapeResult => ({ ok: false, reason: why });
  const text = (): string => checker.typeToString(type);
  if (depth > MAX_DEPTH) return no(`${text()} nests deeper than ${MAX_DEPTH} levels`);
  const f = type.flags;
  if (f & F.Any) return no('any (no declared type; in JavaScript add a JSDoc @param {type} or a default value)');
  if (f & F.Unknown) return no('unknown');
  if (f & F.Never) return no('never');
  if (f & F.Boolean) return { ok: true, shape: { kind: 'boolean' } };
  if (f & F.BooleanLiteral) return { ok: true, shape: { kind: 'literal', value: checker.typeToString(type) === 'true' } };
  if (f & F.NumberLiteral) return { ok: true, shape: { kind: 'literal', value: (type as TS.NumberLiteralType).value } };
  if (f & F.StringLiteral) return { ok: true, shape: { kind: 'literal', value: (type as TS.StringLiteralType).value } };
  if (f & F.BigIntLiteral) {
    const v = (type as TS.BigIntLiteralType).value;
    return { ok: true, shape: { kind: 'bigint-literal', value: `${v.negative ? '-' : ''}${v.base10Value}` } };
  }
  if (f & F.Number) return { ok: true, shape: { kind: 'number' } };
  if (f & F.String) return { ok: true, shape: { kind: 'string' } };
  if (f & F.BigInt) return { ok: true, shape: { kind: 'bigint' } };
  if (f & (F.Undefined | F.Void)) return { ok: true, shape: { kind: 'undefined' } };
  if (f & F.Null) return { ok: true, shape: { kind: 'null' } };
  if (f & F.TemplateLiteral || f & F.StringMapping) return no(`${text()} (a template literal type)`);
  if (f & F.ESSymbolLike) return no('symbol');
  if (f & F.TypeParameter) {
    const c = checker.getBaseConstraintOfType(type);
    if (c === undefined || c === type || c.flags & F.Unknown) return no(`${text()} (a type parameter without a data constraint)`);
    return shapeOfType(checker, c, at, depth + 1);
  }
  if (type.isUnion()) {
    const members = type.types;
    if (members.length > MAX_UNION) return no(`${text()} (a union of ${members.length} types)`);
    const of: Shape[] = [];
    // `boolean` inside a union is split into true | false: put it back together
    const bools = members.filter((m) => m.flags & F.BooleanLiteral);
    if (bools.length === 2) of.push({ kind: 'boolean' });
    for (const m of members) {
      if (bools.length === 2 && m.flags & F.BooleanLiteral) continue;
      const s = shapeOfType(checker, m, at, depth + 1);
      if (!s.ok) return s;
      of.push(s.shape);
    }
    return { ok: true, shape: of.length === 1 ? (of[0] as Shape) : { kind: 'union', of } };
  }
  if (f & F.Object || type.isIntersection()) {
    if (checker.isTupleType(type)) {
      const target = (type as TS.TypeReference).target as TS.TupleType;
      const args = checker.getTypeArguments(type as TS.TypeReference);
      const of: Shape[] = [];
      for (const [i, a] of args.entries()) {
        const flags = target.elementFlags[i] ?? t.ElementFlags.Required;
        if (flags & t.ElementFlags.Variable) return no(`${text()} (a tuple with a rest element)`);
        const s = shapeOfType(checker, a, at, depth + 1);
        if (!s.ok) return s;
        of.push(flags & t.ElementFlags.Optional ? { kind: 'union', of: [s.shape, { kind: 'undefined' }] } : s.shape);
      }
      return { ok: true, shape: { kind: 'tuple', of } };
    }
    if (checker.isArrayType(type)) {
      const el = checker.getTypeArguments(type as TS.TypeReference)[0];
      if (el === undefined) return no(text());
      const s = shapeOfType(checker, el, at, depth + 1);
      return s.ok ? { ok: true, shape: { kind: 'array', of: s.shape } } : s;
    }
    const sym = type.getSymbol();
    if (sym?.getName() === 'Date' && sym.declarations?.some((d) => d.getSourceFile().hasNoDefaultLib)) return { ok: true, shape: { kind: 'date' } };
    if (checker.getSignaturesOfType(type, t.SignatureKind.Call).length > 0 || checker.getSignaturesOfType(type, t.SignatureKind.Construct).length > 0) return no(`${text()} (a function)`);
    if (sym && sym.flags & t.SymbolFlags.Class) return no(`${text()} (a class instance, not plain data)`);
    if (sym && sym.flags & t.SymbolFlags.Interface && sym.declarations?.some((d) => d.getSourceFile().hasNoDefaultLib)) return no(`${text()} (a built-in object type other than Date)`);
    const props = checker.getPropertiesOfType(type);
    const index = checker.getIndexTypeOfType(type, t.IndexKind.String);
    if (index !== undefined && props.length === 0) {
      const s = shapeOfType(checker, index, at, depth + 1);
      return s.ok ? { ok: true, shape: { kind: 'record', of: s.shape } } : s;
    }
    const fields: { name: string; shape: Shape; optional: boolean }[] = [];
    for (const p of props) {
      if (p.flags & t.SymbolFlags.Method) return no(`${text()} (has a method, ${p.getName()}: not plain data)`);
      const pt = checker.getTypeOfSymbolAtLocation(p, at);
      const optional = (p.flags & t.SymbolFlags.Optional) !== 0;
      const s = shapeOfType(checker, pt, at, depth + 1);
      if (!s.ok) return no(`field ${p.getName()}: ${s.reason}`);
      fields.push({ name: p.getName(), shape: optional ? withoutUndefined(s.shape) : s.shape, optional });
    }
    return { ok: true, shape: { kind: 'object', fields } };
  }
  return no(text());
}

/** `T | undefined` → T (an optional field or parameter says "may be missing" already). */
export function withoutUndefined(s: Shape): Shape {
  if (s.kind !== 'union') return s;
  const rest = s.of.filter((x) => x.kind !== 'undefined');
  if (rest.length === 0) return { kind: 'undefined' };
  return rest.length === 1 ? (rest[0] as Shape) : { kind: 'union', of: rest };
}

/** The parameters of a function declaration as shapes, or the first one that cannot be generated. */
export function paramShapes(checker: TS.TypeChecker, fn: TS.SignatureDeclaration): { ok: true; params: ParamShape[] } | { ok: false; reason: string } {
  const t = typescript();
  const params: ParamShape[] = [];
  for (const p of fn.parameters) {
    const name = t.isIdentifier(p.name) ? p.name.text : p.name.getText();
    if (name === 'this') continue;
    const rest = p.dotDotDotToken !== undefined;
    let type = checker.getTypeAtLocation(p);
    if (rest) {
      if (!checker.isArrayType(type)) return { ok: false, reason: `parameter ...${name}: ${checker.typeToString(type)} (a rest parameter that is not an array)` };
      type = checker.getTypeArguments(type as TS.TypeReference)[0] ?? type;
    }
    const optional = !rest && (checker.isOptionalParameter(p) || p.initializer !== undefined);
    const s = shapeOfType(checker, type, p);
    if (!s.ok) return { ok: false, reason: `parameter ${rest ? '...' : ''}${name}: ${s.reason}` };
    params.push({ name, shape: optional ? withoutUndefined(s.shape) : s.shape, optional, rest });
  }
  return { ok: true, params };
}

/** A shape as TypeScript-like text: `'x' | 'y'`, `{ n: number; s: string[] }`. */
export function describeShape(s: Shape): string {
  switch (s.kind) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'bigint':
    case 'undefined':
    case 'null':
      return s.kind;
    case 'date':
      return 'Date';
    case 'literal':
      return typeof s.value === 'string' ? `'${s.value}'` : String(s.value);
    case 'bigint-literal':
      return `${s.value}n`;
    case 'union':
      return s.of.map((x) => (x.kind === 'union' ? `(${describeShape(x)})` : describeShape(x))).join(' | ');
    case 'array':
      return s.of.kind === 'union' ? `(${describeShape(s.of)})[]` : `${describeShape(s.of)}[]`;
    case 'tuple':
      return `[${s.of.map(describeShape).join(', ')}]`;
    case 'object':
      return s.fields.length === 0 ? '{}' : `{ ${s.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${describeShape(f.shape)}`).join('; ')} }`;
    case 'record':
      return `Record<string, ${describeShape(s.of)}>`;
  }
}

export function describeParams(params: readonly ParamShape[]): string {
  return params.map((p) => `${p.rest ? '...' : ''}${p.name}${p.optional ? '?' : ''}: ${p.rest ? `${describeShape(p.shape)}[]` : describeShape(p.shape)}`).join(', ');
}

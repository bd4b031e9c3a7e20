import { scanModule, type ExportedBinding } from './scan.js';

/** The global the instrumented modules call into; register.ts installs it before the application loads. */
export const AGENT_GLOBAL = 'faultline.agent';
const BRIDGE = '__faultline$agent';
const MARK = '/*faultline-agent*/';

export type InstrumentResult =
  | { status: 'instrumented'; code: string; bindings: ExportedBinding[] }
  | { status: 'unchanged'; reason: string }
  | { status: 'skipped'; reason: string };

/**
 * Instruments an ES module: appends one line that re-binds each exported function (or class) to the
 * agent's wrapper, and rewrites `const` of such bindings to `let ` (same length, so every line and
 * column in stack traces stays where it was). The appended line guards every re-binding with
 * try/catch, so a binding that cannot be re-bound is reported, never thrown.
 */
export function instrumentSource(source: string, url: string): InstrumentResult {
  if (source.includes(MARK)) return { status: 'unchanged', reason: 'already instrumented' };
  const scan = scanModule(source);
  if (!scan.ok) return { status: 'skipped', reason: scan.reason };
  if (scan.bindings.length === 0) return { status: 'unchanged', reason: 'no exported bindings' };
  let code = source;
  for (const b of scan.bindings) {
    if (b.constAt !== undefined && code.startsWith('const', b.constAt)) {
      code = `${code.slice(0, b.constAt)}let  ${code.slice(b.constAt + 5)}`;
    }
  }
  const u = JSON.stringify(url);
  const lines = scan.bindings.map(
    (b) => `try{${b.local}=${BRIDGE}.w(${b.local},${u},${JSON.stringify(names(b))})}catch(e){${BRIDGE}.x(e,${u},${JSON.stringify(b.local)})}`,
  );
  code += `\n;${MARK}{const ${BRIDGE}=globalThis[Symbol.for(${JSON.stringify(AGENT_GLOBAL)})];if(${BRIDGE}){${lines.join('')}${BRIDGE}.m(${u},${scan.bindings.length})}}\n`;
  return { status: 'instrumented', code, bindings: scan.bindings };
}

/** Names a target can use for the binding: its export names, then the local name. */
function names(b: ExportedBinding): string[] {
  return b.exported.includes(b.local) ? b.exported : [...b.exported, b.local];
}

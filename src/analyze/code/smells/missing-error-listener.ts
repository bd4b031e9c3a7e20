/**
 * missing-error-listener: a stream or emitter created here with nobody listening for 'error' — an 'error'
 * event without a listener throws, and from a socket or file stream that crashes the process.
 *
 * Sees: `fs.createReadStream|createWriteStream`, `net.connect|createConnection`, `tls.connect`,
 * `zlib.create*` streams, and `new EventEmitter()` on which this function itself emits 'error'. The value is
 * followed through chained `.on(…)`/`.pipe(dest)` calls and into a local variable; it is fine when an
 * `.on|once|addListener|prependListener('error', …)` reaches it in the same function, or it is passed to
 * `pipeline(…)`, `finished(…)`, `eos(…)` or `pump(…)`. A stream created inline as a `.pipe(…)` target needs
 * its own listener (pipe does not forward errors). Not reported when the value leaves the function (returned,
 * stored on an object, passed to another function, resolved), since the receiver may listen.
 * Cannot see: listeners added in another function or file, domain/async-hooks based handling.
 */
import type { Smell } from '../../../core/analysis.js';
import { emitsErrorOn, streamCreation, streamFate, variableStreamFate } from '../../../lang/patterns.js';
import { enclosingUnit, within } from '../ast.js';
import type { TS } from '../ts.js';
import { type FileFacts, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'missing-error-listener';
const RECIPE = 'add-error-listener';

type Fate = 'handled' | 'escapes' | 'unhandled' | { variable: string; stmt: TS.Statement };

/** Follows a created value up through chained calls to where it ends (the fate add-error-listener sees too). */
function fateOf(created: TS.Expression): Fate {
  const fate = streamFate(created);
  switch (fate.kind) {
    case 'handled':
    case 'escapes':
      return fate.kind;
    case 'inline':
      return 'unhandled';
    case 'variable':
      // kept other than by a statement of its own: the recipe has no line to add a listener after
      return fate.stmt === undefined ? 'escapes' : { variable: fate.name, stmt: fate.stmt };
  }
}

export const missingErrorListener: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const out: Smell[] = [];
    const created: { node: TS.Expression; what: string; emitterOnly: boolean }[] = [];
    for (const c of f.calls) {
      const s = streamCreation(c, f.bindings);
      if (s !== undefined) created.push({ node: c, ...s });
    }
    for (const n of f.news) {
      const s = streamCreation(n, f.bindings);
      if (s !== undefined) created.push({ node: n, ...s });
    }

    for (const { node, what, emitterOnly } of created) {
      const fate = fateOf(node);
      if (fate === 'handled' || fate === 'escapes') continue;
      const scope = enclosingUnit(f.sf, node);
      if (typeof fate === 'object') {
        if (variableStreamFate(fate.variable, scope ?? f.sf, fate.stmt).kind !== 'unhandled') continue;
        if (emitterOnly) {
          const emitsError = f.calls.some((c) => emitsErrorOn(c, fate.variable) && (scope === undefined || within(c, scope)));
          if (!emitsError) continue;
        }
      } else if (emitterOnly) continue;
      out.push(smellAt(f, KIND, RECIPE, node, `${what} has no 'error' listener here: an error event without a listener throws and crashes the process; add .on('error', …) or use stream.pipeline()`));
    }
    return out;
  },
};

/**
 * Structural checks of a Prometheus rule file, as far as they go without promtool: the file layout promtool's
 * rulefmt requires (groups with unique names; each rule an alert or a record with an expr; `for` a duration;
 * labels and annotations maps of strings; names that are valid metric and label names) and a light PromQL check
 * of each expr (balanced brackets, known functions and aggregations, valid durations in range selectors and
 * subqueries, label matchers of the form name op "string"). Returns the problems; an empty list means it passed.
 */

export const PROMQL_FUNCTIONS: ReadonlySet<string> = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max',
  'clamp_min', 'cos', 'cosh', 'count_over_time', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'deg', 'delta', 'deriv', 'exp',
  'floor', 'histogram_avg', 'histogram_count', 'histogram_fraction', 'histogram_quantile', 'histogram_stddev', 'histogram_stdvar', 'histogram_sum',
  'holt_winters', 'double_exponential_smoothing', 'hour', 'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10', 'log2',
  'mad_over_time', 'max_over_time', 'min_over_time', 'minute', 'month', 'pi', 'predict_linear', 'present_over_time', 'quantile_over_time', 'rad', 'rate',
  'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'tan',
  'tanh', 'time', 'timestamp', 'vector', 'year',
]);
export const PROMQL_AGGREGATIONS: ReadonlySet<string> = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);

/** Prometheus durations: 1y2w3d4h5m6s7ms, units in that order, each at most once */
export const DURATION_RE = /^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/;
export const isDuration = (s: string): boolean => s !== '' && DURATION_RE.test(s);
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Problems of one PromQL expression (empty: none found). */
export function checkPromql(expr: string): string[] {
  const out: string[] = [];
  const stack: Array<{ ch: string; at: number }> = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let i = 0;
  let sawValue = false;
  while (i < expr.length) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += c !== '`' && expr[j] === '\\' ? 2 : 1;
      if (j >= expr.length) {
        out.push(`unterminated string at ${i}`);
        break;
      }
      i = j + 1;
      sawValue = true;
      continue;
    }
    if (c === '#') break; // comment to end of line
    if (c === '(' || c === '{') {
      stack.push({ ch: c, at: i });
      if (c === '{') {
        const close = findClose(expr, i, '{', '}');
        if (close < 0) {
          out.push(`unbalanced "{" at ${i}`);
          break;
        }
        out.push(...checkMatchers(expr.slice(i + 1, close), i + 1));
        stack.pop();
        i = close + 1;
        sawValue = true;
        continue;
      }
      i++;
      continue;
    }
    if (c === '[') {
      const close = expr.indexOf(']', i);
      if (close < 0) {
        out.push(`unbalanced "[" at ${i}`);
        break;
      }
      const inner = expr.slice(i + 1, close).trim();
      const [range, step, ...more] = inner.split(':');
      if (more.length > 0 || !isDuration((range ?? '').trim()) || (step !== undefined && step.trim() !== '' && !isDuration(step.trim()))) out.push(`"[${inner}]" at ${i} is not a range [duration] or a subquery [duration:step]`);
      if (!sawValue) out.push(`range "[${inner}]" at ${i} follows no selector or subquery`);
      i = close + 1;
      continue;
    }
    if (c === ')' || c === ']' || c === '}') {
      const top = stack.pop();
      if (!top || top.ch !== pairs[c]) {
        out.push(`unbalanced "${c}" at ${i}`);
        break;
      }
      i++;
      sawValue = true;
      continue;
    }
    const word = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i));
    if (word) {
      const w = word[0];
      let j = i + w.length;
      while (j < expr.length && /\s/.test(expr[j] as string)) j++;
      const lower = w.toLowerCase();
      if (expr[j] === '(' && !KEYWORDS.has(lower) && !PROMQL_FUNCTIONS.has(w) && !PROMQL_AGGREGATIONS.has(w)) out.push(`unknown function "${w}" at ${i}`);
      if (lower === 'offset') {
        const d = /^\s*-?([0-9a-z]+)/.exec(expr.slice(i + w.length));
        if (!d || !isDuration(d[1] as string)) out.push(`offset at ${i} needs a duration`);
      }
      sawValue = !KEYWORDS.has(lower) || lower === 'inf' || lower === 'nan';
      i += w.length;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(expr.slice(i));
    if (num) {
      i += num[0].length;
      sawValue = true;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const op = /^(==|!=|>=|<=|=~|!~|\^|[-+*/%><,])/.exec(expr.slice(i));
    if (op) {
      i += op[0].length;
      sawValue = false;
      continue;
    }
    out.push(`unexpected "${c}" at ${i}`);
    i++;
  }
  for (const s of stack) out.push(`unbalanced "${s.ch}" at ${s.at}`);
  if (expr.trim() === '') out.push('empty expression');
  return out;
}

function findClose(s: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  return -1;
}

function checkMatchers(body: string, at: number): string[] {
  const out: string[] = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*(,|$)/y;
  let pos = 0;
  const trimmed = body.trim();
  if (trimmed === '') return out;
  while (pos < body.length) {
    if (body.slice(pos).trim() === '') break;
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m) {
      // a bare metric name inside braces ({"metric"}) is allowed in Prometheus 3; anything else is not a matcher
      if (!/^\s*"(?:[^"\\]|\\.)*"\s*(,|$)/.test(body.slice(pos))) out.push(`label matcher at ${at + pos} is not name op "value": ${body.slice(pos).trim()}`);
      break;
    }
    pos = re.lastIndex;
  }
  return out;
}

export interface RuleFileLike {
  groups?: unknown;
}

/** Problems of a parsed rule file (the object YAML parses to). */
export function checkRuleFile(doc: unknown): string[] {
  const out: string[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['the file is not a mapping with a groups key'];
  const keys = Object.keys(doc);
  for (const k of keys) if (k !== 'groups') out.push(`unknown top-level key "${k}"`);
  const groups = (doc as RuleFileLike).groups;
  if (!Array.isArray(groups)) return [...out, 'groups: must be a list'];
  const names = new Set<string>();
  groups.forEach((g: unknown, gi) => {
    const where = `groups[${gi}]`;
    if (typeof g !== 'object' || g === null) return void out.push(`${where}: must be a mapping`);
    const grp = g as Record<string, unknown>;
    for (const k of Object.keys(grp)) if (!['name', 'interval', 'rules', 'limit', 'query_offset', 'labels'].includes(k)) out.push(`${where}: unknown key "${k}"`);
    if (typeof grp.name !== 'string' || grp.name === '') out.push(`${where}.name: must be a non-empty string`);
    else if (names.has(grp.name)) out.push(`${where}.name: "${grp.name}" is not unique`);
    else names.add(grp.name);
    if (grp.interval !== undefined && (typeof grp.interval !== 'string' || !isDuration(grp.interval))) out.push(`${where}.interval: not a duration`);
    if (!Array.isArray(grp.rules)) return void out.push(`${where}.rules: must be a list`);
    grp.rules.forEach((r: unknown, ri) => {
      const rw = `${where}.rules[${ri}]`;
      if (typeof r !== 'object' || r === null) return void out.push(`${rw}: must be a mapping`);
      const rule = r as Record<string, unknown>;
      for (const k of Object.keys(rule)) if (!['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k)) out.push(`${rw}: unknown key "${k}"`);
      const isAlert = rule.alert !== undefined;
      if (isAlert === (rule.record !== undefined)) out.push(`${rw}: needs exactly one of alert and record`);
      if (isAlert && (typeof rule.alert !== 'string' || !METRIC_NAME_RE.test(rule.alert))) out.push(`${rw}.alert: "${String(rule.alert)}" is not a valid alert name`);
      if (typeof rule.expr !== 'string') out.push(`${rw}.expr: must be a string`);
      else for (const p of checkPromql(rule.expr)) out.push(`${rw}.expr: ${p}`);
      for (const k of ['for', 'keep_firing_for'] as const) {
        if (rule[k] === undefined) continue;
        if (!isAlert) out.push(`${rw}.${k}: only alerting rules have it`);
        if (typeof rule[k] !== 'string' || !isDuration(rule[k] as string)) out.push(`${rw}.${k}: "${String(rule[k])}" is not a duration`);
      }
      for (const k of ['labels', 'annotations'] as const) {
        const m = rule[k];
        if (m === undefined) continue;
        if (typeof m !== 'object' || m === null || Array.isArray(m)) {
          out.push(`${rw}.${k}: must be a mapping`);
          continue;
        }
        if (k === 'annotations' && !isAlert) out.push(`${rw}.annotations: only alerting rules have them`);
        for (const [name, v] of Object.entries(m)) {
          if (!LABEL_NAME_RE.test(name)) out.push(`${rw}.${k}: "${name}" is not a valid label name`);
          if (typeof v !== 'string') out.push(`${rw}.${k}.${name}: must be a string`);
          else if (!balancedTemplate(v)) out.push(`${rw}.${k}.${name}: unbalanced {{ }} template`);
        }
      }
    });
  });
  return out;
}

function balancedTemplate(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length - 1; i++) {
    if (s[i] === '{' && s[i + 1] === '{') {
      if (depth !== 0) return false;
      depth = 1;
      i++;
    } else if (s[i] === '}' && s[i + 1] === '}') {
      if (depth !== 1) return false;
      depth = 0;
      i++;
    }
  }
  return depth === 0;
}

/**
 * Finds the allocating statement inside a function. V8 attributes an allocation to the function
 * (its position), not to the statement; tracemalloc users expect `'lineno'` to be the line that
 * allocates. From the function's source we list the statements that allocate (object and array
 * literals, `new`, template strings with substitutions, `concat`) and those that store into
 * something (`push`, `set`, `add`, `unshift`, `splice`, assignments to members), and pick the one that
 * most likely holds the memory: a store into what outlives the call beats a store into a local, which
 * beats a bare allocation. A small tokenizer is enough: it must only tell code from strings,
 * comments and regular expressions, and find the function's body.
 */

type Kind = 'id' | 'punct' | 'str' | 'tmpl' | 'num' | 'regex';

interface Token {
  kind: Kind;
  value: string;
  start: number;
  /** For templates: whether it has a `${}` substitution (and so builds a new string). */
  subst?: boolean;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
const CONTROL = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'function']);
const STORE_METHODS = new Set(['push', 'unshift', 'set', 'add', 'splice']);
const ALLOC_METHODS = new Set(['concat', 'slice', 'map', 'filter', 'from', 'assign', 'fill', 'stringify']);

/** Whether a `/` or `{`/`[` after `prev` starts an expression (regex / literal) rather than an operator. */
function expressionExpected(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.kind === 'num' || prev.kind === 'str' || prev.kind === 'tmpl' || prev.kind === 'regex')
    return false;
  if (prev.kind === 'id') return KEYWORDS_BEFORE_EXPRESSION.has(prev.value);
  return !(prev.value === ')' || prev.value === ']' || prev.value === '}');
}

const PUNCT = [
  '>>>=',
  '...',
  '===',
  '!==',
  '**=',
  '<<=',
  '>>=',
  '>>>',
  '&&=',
  '||=',
  '??=',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '<<',
  '>>',
  '**',
];

/** Tokenizes JavaScript well enough to find functions and statements. Never throws. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // Template literals nest through `${ … }`: each entry counts the braces open inside one substitution.
  const templateDepth: number[] = [];
  let i = 0;
  const n = src.length;
  const readTemplate = (from: number): number => {
    // From just after a backtick or a closing `}` of a substitution; returns the index after the part.
    let j = from;
    let subst = false;
    while (j < n) {
      const c = src[j];
      if (c === '\\') j += 2;
      else if (c === '`') {
        tokens.push({ kind: 'tmpl', value: '`', start: from - 1, subst });
        return j + 1;
      } else if (c === '$' && src[j + 1] === '{') {
        subst = true;
        tokens.push({ kind: 'tmpl', value: '${', start: from - 1, subst: true });
        templateDepth.push(0);
        return j + 2;
      } else j++;
    }
    tokens.push({ kind: 'tmpl', value: '`', start: from - 1, subst });
    return n;
  };
  while (i < n) {
    const c = src[i] as string;
    const code = c.charCodeAt(0);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || code === 0xfeff || code === 0xa0) {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const e = src.indexOf('\n', i);
      i = e === -1 ? n : e;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      i = e === -1 ? n : e + 2;
      continue;
    }
    if (c === '#' && src[i + 1] === '!' && i === 0) {
      const e = src.indexOf('\n');
      i = e === -1 ? n : e;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      tokens.push({ kind: 'str', value: c, start: i });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      i = readTemplate(i + 1);
      continue;
    }
    if (c === '}' && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === 0) {
      templateDepth.pop();
      i = readTemplate(i + 1);
      continue;
    }
    if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$\u0080-\uffff]/.test(src[j] as string)) j++;
      tokens.push({ kind: 'id', value: src.slice(i, j), start: i });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(src[j] as string)) j++;
      tokens.push({ kind: 'num', value: src.slice(i, j), start: i });
      i = j;
      continue;
    }
    if (c === '/' && expressionExpected(tokens[tokens.length - 1])) {
      let j = i + 1;
      let cls = false;
      while (j < n && src[j] !== '\n') {
        const d = src[j];
        if (d === '\\') j++;
        else if (d === '[') cls = true;
        else if (d === ']') cls = false;
        else if (d === '/' && !cls) break;
        j++;
      }
      j++;
      while (j < n && /\w/.test(src[j] as string)) j++;
      tokens.push({ kind: 'regex', value: '/', start: i });
      i = j;
      continue;
    }
    if (templateDepth.length > 0) {
      const top = templateDepth.length - 1;
      if (c === '{') templateDepth[top] = (templateDepth[top] as number) + 1;
      else if (c === '}') templateDepth[top] = (templateDepth[top] as number) - 1;
    }
    const p = PUNCT.find((q) => src.startsWith(q, i)) ?? c;
    tokens.push({ kind: 'punct', value: p, start: i });
    i += p.length;
  }
  return tokens;
}

/** Index of the token that closes the bracket opened at `open`, or the last token. */
function matching(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    // A substitution's `${ … }` is balanced inside the tokenizer and emits no brace tokens.
    if (t.kind !== 'punct') continue;
    const v = t.value;
    if (v === '(' || v === '[' || v === '{') depth++;
    else if (v === ')' || v === ']' || v === '}') {
      depth--;
      if (depth === 0) return k;
    }
  }
  return tokens.length - 1;
}

/** The end (exclusive token index) of an arrow function's expression body starting at `from`. */
function expressionEnd(tokens: readonly Token[], from: number): number {
  let k = from;
  while (k < tokens.length) {
    const t = tokens[k]!;
    if (t.kind === 'punct') {
      const v = t.value;
      if (v === '(' || v === '[' || v === '{') {
        k = matching(tokens, k) + 1;
        continue;
      }
      if (v === ')' || v === ']' || v === '}' || v === ',' || v === ';') return k;
    }
    k++;
  }
  return k;
}

let currentSource = '';

function newlineBetween(a: Token, b: Token): boolean {
  return currentSource.slice(a.start, b.start).includes('\n');
}

function endsStatement(t: Token): boolean {
  if (t.kind === 'punct') return t.value === ')' || t.value === ']' || t.value === '++' || t.value === '--';
  if (t.kind === 'id') return !KEYWORDS_BEFORE_EXPRESSION.has(t.value) && !CONTROL.has(t.value);
  return t.kind !== 'tmpl' || t.value === '`';
}

function startsStatement(t: Token): boolean {
  return t.kind === 'id' && t.value !== 'in' && t.value !== 'of' && t.value !== 'instanceof';
}

/** Finds a function's body `[first, end)` in tokens, starting from the token at V8's function position. */
function functionBody(tokens: readonly Token[], at: number): [number, number] | undefined {
  let k = at;
  // V8's position is the parameter list (`(`) for most functions, the parameter for `x => …`.
  if (tokens[k]?.kind === 'id' && tokens[k + 1]?.value === '=>') k += 1;
  else {
    if (tokens[k]?.value !== '(') return undefined;
    k = matching(tokens, k) + 1;
    // TypeScript output never has return types, but skip an `=>` for arrows.
  }
  if (tokens[k]?.value === '=>') {
    k++;
    if (tokens[k]?.value === '{') return [k + 1, matching(tokens, k)];
    return [k, expressionEnd(tokens, k)];
  }
  if (tokens[k]?.value === '{') return [k + 1, matching(tokens, k)];
  return undefined;
}

interface Candidate {
  /** Token index where the statement starts. */
  statement: number;
  score: number;
}

/** Picks the allocating statement in `[first, end)`, skipping nested functions. */
function scan(tokens: readonly Token[], first: number, end: number): Candidate | undefined {
  // Names bound to a fresh value here (`const a = []`): storing into them does not outlive the call.
  // Anything else a function stores into (parameters, outer variables, `this`, a local that aliases
  // an outer object such as `let list = registry.get(k)`) may.
  const locals = new Set<string>();
  let statementStart = first;
  // Open brackets inside the body; statement boundaries only count where no (, [ or object literal is open.
  const stack: { start: number; kind: 'block' | 'expr' }[] = [];
  // Per statement (keyed by its first token): the best store score and whether it allocates.
  const statements = new Map<number, { store: number; alloc: boolean }>();
  const consider = (score: number) => {
    const entry = statements.get(statementStart) ?? { store: 0, alloc: false };
    if (score === 1) entry.alloc = true;
    else entry.store = Math.max(entry.store, score);
    statements.set(statementStart, entry);
  };
  const receiverRoot = (dot: number): string | undefined => {
    // `a.b[c].push(` → `a`; `this.x.push(` → `this`.
    let k = dot - 1;
    let root: string | undefined;
    while (k >= first) {
      const t = tokens[k]!;
      if (t.kind === 'id') {
        root = t.value;
        if (tokens[k - 1]?.value === '.' || tokens[k - 1]?.value === '?.') {
          k -= 2;
          continue;
        }
        return root;
      }
      if (t.value === ']') {
        let depth = 0;
        for (; k >= first; k--) {
          const v = tokens[k]!.value;
          if (v === ']') depth++;
          else if (v === '[' && --depth === 0) break;
        }
        k--;
        continue;
      }
      return root;
    }
    return root;
  };
  for (let k = first; k < end; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    if (prev && k > first && endsStatement(prev) && startsStatement(t) && newlineBetween(prev, t)) {
      // Code without semicolons: a line break between a complete expression and a new one is
      // where automatic semicolon insertion puts the boundary.
      if (!stack.some((s) => s.kind === 'expr')) statementStart = k;
    }
    if (t.kind === 'id') {
      if (t.value === 'function') {
        // A nested function: its allocations are attributed to it, not to us.
        let j = k + 1;
        while (j < end && tokens[j]!.value !== '(') j++;
        const body = functionBody(tokens, j);
        if (body) {
          k = body[1];
          continue;
        }
      }
      if ((t.value === 'const' || t.value === 'let' || t.value === 'var') && tokens[k + 1]?.kind === 'id') {
        const init = tokens[k + 2]?.value === '=' ? tokens[k + 3] : undefined;
        const fresh =
          init === undefined ||
          init.kind !== 'id' ||
          init.value === 'new' ||
          init.value === 'true' ||
          init.value === 'false' ||
          init.value === 'null';
        if (fresh) locals.add(tokens[k + 1]!.value);
        else locals.delete(tokens[k + 1]!.value);
      }
      if (t.value === 'new') consider(1);
      // A method definition `name(…) {` inside an object literal or class: skip its body.
      if (
        tokens[k + 1]?.value === '(' &&
        !CONTROL.has(t.value) &&
        prev?.value !== '.' &&
        prev?.value !== '?.'
      ) {
        const close = matching(tokens, k + 1);
        if (tokens[close + 1]?.value === '{' && tokens[close + 1]!.start > t.start) {
          const inObject = stack.length > 0 && stack[stack.length - 1]!.kind === 'expr';
          if (
            inObject ||
            prev?.value === '}' ||
            prev?.value === ';' ||
            prev?.value === 'get' ||
            prev?.value === 'set'
          ) {
            k = matching(tokens, close + 1);
            continue;
          }
        }
      }
      if ((prev?.value === '.' || prev?.value === '?.') && tokens[k + 1]?.value === '(') {
        if (STORE_METHODS.has(t.value)) {
          const root = receiverRoot(k - 1);
          consider(root === undefined || locals.has(root) ? 2 : 3);
        } else if (ALLOC_METHODS.has(t.value)) consider(1);
      }
      continue;
    }
    if (t.kind === 'tmpl' && t.subst && t.value === '${') {
      consider(1);
      continue;
    }
    if (t.kind !== 'punct') continue;
    const v = t.value;
    if (v === '=>') {
      // A nested arrow function: skip its body.
      if (tokens[k + 1]?.value === '{') k = matching(tokens, k + 1);
      else k = expressionEnd(tokens, k + 1) - 1;
      continue;
    }
    if (v === '{') {
      const literal = expressionExpected(prev) && prev?.value !== ')' && prev !== undefined;
      const isBlock =
        !literal ||
        prev?.value === ';' ||
        prev?.value === '{' ||
        prev?.value === '}' ||
        prev?.value === 'else' ||
        prev?.value === 'do' ||
        prev?.value === 'try' ||
        prev?.value === 'finally' ||
        k === first;
      if (!isBlock) consider(1);
      stack.push({ start: k, kind: isBlock ? 'block' : 'expr' });
      if (isBlock) statementStart = k + 1;
      continue;
    }
    if (v === '(' || v === '[') {
      if (v === '[' && expressionExpected(prev)) consider(1);
      stack.push({ start: k, kind: 'expr' });
      continue;
    }
    if (v === ')' || v === ']' || v === '}') {
      const open = stack.pop();
      if (v === '}' && open?.kind === 'block') statementStart = k + 1;
      continue;
    }
    const inExpr = stack.some((s) => s.kind === 'expr');
    if (v === ';' && !inExpr) {
      statementStart = k + 1;
      continue;
    }
    if (
      (v === '=' || v === '||=' || v === '??=' || v === '&&=') &&
      (prev?.value === ']' || (prev?.kind === 'id' && tokens[k - 2]?.value === '.'))
    ) {
      // An assignment to a member stores into an object that outlives the statement; it holds
      // memory when the value is allocated right here.
      const stop = expressionEnd(tokens, k + 1);
      for (let j = k + 1; j < stop; j++) {
        const u = tokens[j]!;
        if (u.value === 'new' || (u.kind === 'tmpl' && u.subst) || u.value === '{' || u.value === '[') {
          const root = receiverRoot(k - (prev?.value === ']' ? 0 : 1));
          consider(root === undefined || locals.has(root) ? 2 : 3);
          break;
        }
      }
    }
  }
  // A store into what outlives the call (3) beats a store into a local (2) beats a bare allocation;
  // allocating in the same statement breaks ties between stores. A store into a local that
  // allocates nothing (`copy.set(values)`, `list.push(item)`) only moves what was made elsewhere:
  // it ranks below the statement that made it. Several statements at the best score below 3 are
  // ambiguous: V8 cannot tell them apart, so the function's line is the honest answer.
  let best: Candidate | undefined;
  let tied = false;
  for (const [statement, { store, alloc }] of statements) {
    const score = store === 2 && !alloc ? 0.75 : (store || 1) + (store && alloc ? 0.5 : 0);
    if (!best || score > best.score) {
      best = { statement, score };
      tied = false;
    } else if (score === best.score && score < 3) tied = true;
  }
  return tied ? undefined : best;
}

/** Line starts of `src`, for offset ↔ (line, column) in UTF-16 units like V8's positions. */
export function lineStarts(src: string): number[] {
  const starts = [0];
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function offsetToPosition(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: offset - (starts[lo] as number) };
}

/** A tokenized source file, kept only while one snapshot is resolved. */
export interface ParsedSource {
  text: string;
  tokens: Token[];
  starts: number[];
}

/** Tokenizes a file's text once for every function in it. */
export function parseSource(src: string): ParsedSource {
  return { text: src, tokens: tokenize(src), starts: lineStarts(src) };
}

/**
 * The 0-based position of the statement that most likely allocates in the function V8 places at
 * `line`/`column` (0-based), or `undefined` when the function cannot be found or allocates in no
 * statement we recognise (then the function's own line is the honest answer).
 */
export function findAllocatingStatement(
  parsed: ParsedSource,
  line: number,
  column: number,
): { line: number; column: number } | undefined {
  const direct = statementAt(parsed, line, column);
  if (direct) return direct;
  // V8's position is the parameter list for most functions; for some it lands just before it (an
  // async arrow's `async`, a name, `function`): the next few tokens are tried.
  const { tokens, starts } = parsed;
  if (line < 0 || line >= starts.length) return undefined;
  const start = (starts[line] ?? 0) + column;
  let k = 0;
  while (k < tokens.length && tokens[k]!.start < start) k++;
  for (let tries = 0; tries < 6 && k < tokens.length; tries++, k++) {
    const t = tokens[k]!;
    if (t.value !== '(' && t.kind !== 'id') continue;
    const at = offsetToPosition(starts, t.start);
    const found = statementAt(parsed, at.line, at.column);
    if (found) return found;
  }
  return undefined;
}

function statementAt(
  parsed: ParsedSource,
  line: number,
  column: number,
): { line: number; column: number } | undefined {
  const { tokens, starts } = parsed;
  if (line < 0 || line >= starts.length) return undefined;
  const offset = (starts[line] as number) + column;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.start < offset) lo = mid + 1;
    else hi = mid;
  }
  let range: [number, number] | undefined;
  if (line === 0 && column === 0)
    range = [0, tokens.length]; // a module or script body
  else if (tokens[lo]?.start === offset) range = functionBody(tokens, lo);
  if (!range) return undefined;
  currentSource = parsed.text;
  const best = scan(tokens, range[0], range[1]);
  currentSource = '';
  if (!best || best.statement >= tokens.length) return undefined;
  return offsetToPosition(starts, tokens[best.statement]!.start);
}

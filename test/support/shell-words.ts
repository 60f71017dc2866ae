/**
 * The words of the simple command that starts at `start` in `text`, as bash passes them to the
 * program: quotes removed, backslash-newlines joined, $NAME, ${NAME}, ${NAME:-default} and
 * ${NAME:?} expanded from `variables`, redirections left out. It ends at the first unquoted control
 * operator (; & | ( ) or newline) or comment. Anything it does not read as bash would (a command
 * substitution, a backquote, a glob, an unquoted value with blanks, an unset variable) throws,
 * so that a test never checks a misread command.
 */
export function simpleCommandWords(text: string, start: number, variables: Readonly<Record<string, string | undefined>>): string[] {
  const words: string[] = [];
  let i = start;
  for (;;) {
    i = skipBlanks(text, i);
    const c = text[i];
    if (c === undefined || ENDS.has(c) || c === '#') return words;
    if (REDIRECTS.has(c)) {
      i = skipRedirection(text, i, variables);
      continue;
    }
    const [word, next] = readWord(text, i, variables);
    // `2>&1`: the digits name a file descriptor of the redirection, not a word.
    if (/^\d+$/.test(word) && REDIRECTS.has(text[next] ?? '')) i = skipRedirection(text, next, variables);
    else {
      words.push(word);
      i = next;
    }
  }
}

const ENDS = new Set([';', '&', '|', '(', ')', '\n']);
const REDIRECTS = new Set(['<', '>']);
const BLANKS = new Set([' ', '\t']);
// A backquote substitutes a command; * ? [ are globs, which bash would match against files.
const NOT_READ = new Set(['`', '*', '?', '[']);
const ESCAPABLE_IN_DOUBLE_QUOTES = new Set(['$', '`', '"', '\\', '\n']);

function skipBlanks(text: string, i: number): number {
  for (;;) {
    if (BLANKS.has(text[i] ?? '')) i += 1;
    else if (text.startsWith('\\\n', i)) i += 2;
    else return i;
  }
}

/** Past `>file`, `>>file`, `>&2`, `<file`: the operator and its target word. */
function skipRedirection(text: string, i: number, variables: Readonly<Record<string, string | undefined>>): number {
  i += 1;
  if (text[i] === '>' || text[i] === '&') i += 1;
  return readWord(text, skipBlanks(text, i), variables)[1];
}

function readWord(text: string, i: number, variables: Readonly<Record<string, string | undefined>>): [string, number] {
  let word = '';
  while (i < text.length) {
    const c = text[i] ?? '';
    if (BLANKS.has(c) || ENDS.has(c) || REDIRECTS.has(c)) break;
    if (c === '\\') {
      if (text[i + 1] !== '\n') word += text[i + 1] ?? '';
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' at ${excerpt(text, i)}`);
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      [word, i] = readDoubleQuoted(text, i + 1, word, variables);
    } else if (c === '$') {
      const [value, next] = expand(text, i, variables);
      if (/\s/.test(value)) throw new Error(`an unquoted expansion with blanks is split into words: ${excerpt(text, i)}`);
      word += value;
      i = next;
    } else if (NOT_READ.has(c)) {
      throw new Error(`${c} is not read here: ${excerpt(text, i)}`);
    } else {
      word += c;
      i += 1;
    }
  }
  return [word, i];
}

function readDoubleQuoted(text: string, i: number, word: string, variables: Readonly<Record<string, string | undefined>>): [string, number] {
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new Error(`unterminated " in ${excerpt(text, i)}`);
    if (c === '"') return [word, i + 1];
    if (c === '\\' && ESCAPABLE_IN_DOUBLE_QUOTES.has(text[i + 1] ?? '')) {
      if (text[i + 1] !== '\n') word += text[i + 1];
      i += 2;
    } else if (c === '$') {
      const [value, next] = expand(text, i, variables);
      word += value;
      i = next;
    } else if (c === '`') {
      throw new Error(`a command substitution is not read here: ${excerpt(text, i)}`);
    } else {
      word += c;
      i += 1;
    }
  }
}

function expand(text: string, i: number, variables: Readonly<Record<string, string | undefined>>): [string, number] {
  const match = /^\$(?:\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_]\w*))/.exec(text.slice(i));
  if (!match) throw new Error(`an expansion not read here: ${excerpt(text, i)}`);
  const [whole, braced, operator, operand = '', bare] = match;
  const name = braced ?? bare ?? '';
  const value = variables[name];
  const missing = operator?.startsWith(':') ? !value : value === undefined;
  if (operator?.endsWith('-') && missing) return [operand, i + whole.length];
  if (value === undefined || missing) throw new Error(`$${name} has no value here: ${excerpt(text, i)}`);
  return [value, i + whole.length];
}

function excerpt(text: string, i: number): string {
  return JSON.stringify(text.slice(Math.max(0, i - 20), i + 40));
}

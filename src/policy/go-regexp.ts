// Tag patterns are JavaScript regexes that also accept what users paste from Flux, whose patterns
// are Go (RE2) regexes. Where the two dialects spell something differently it is rewritten here;
// where Go syntax would silently mean something else to JavaScript and has no rewrite, the pattern
// is refused. The one translator for config (filter.pattern, images[].exclude), `scan --filter`
// and the importers. RE2 syntax: https://github.com/google/re2/wiki/Syntax

/** A pattern ready for `new RegExp(source, flags)`. */
export interface TranslatedPattern {
  source: string;
  /** From a leading `(?i)`, `(?s)` or `(?m)`; '' otherwise. */
  flags: string;
}

// Expanded inside a bracket expression, so `[[:alpha:]_]` becomes `[a-zA-Z_]`.
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

// Letter escapes kept as written: those both dialects share (JavaScript without the u flag), and
// JavaScript's own \c (control), \u (code unit) and \k<name> (back-reference).
const KEPT_ESCAPES = new Set('dDwWsSbBtnrfvxcuk'.split(''));
// What each Go-only escape becomes outside a bracket expression; null: refused inside one.
const REWRITTEN_ESCAPES: Record<string, { outside: string; inside: string | null }> = {
  A: { outside: '(?<![\\s\\S])', inside: null },
  z: { outside: '(?![\\s\\S])', inside: null },
  a: { outside: '\\x07', inside: '\\x07' },
};
const REFUSED_ESCAPES: Record<string, string> = {
  p: 'Unicode classes (\\p{...}) need the u flag, which tag patterns do not set; spell the characters out',
  P: 'Unicode classes (\\P{...}) need the u flag, which tag patterns do not set; spell the characters out',
  C: '\\C (any byte) has no JavaScript equivalent; use .',
  Z: '\\Z is neither Go nor JavaScript syntax (JavaScript reads a plain "Z"); use $ or \\z',
};
const FLAGS = new Set(['i', 'm', 's']);

/** The JavaScript spelling of a Go or JavaScript pattern, or why it cannot be used. */
export function translateGoRegexp(pattern: string): TranslatedPattern | { problem: string } {
  const refuse = (why: string) => ({ problem: `pattern ${JSON.stringify(pattern)}: ${why}` });
  let flags = '';
  let i = 0;
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (leading) {
    for (const flag of leading[1]!) {
      if (!FLAGS.has(flag)) return refuse(`inline flag "${flag}" has no JavaScript equivalent (only i, m and s are translated)`);
      if (!flags.includes(flag)) flags += flag;
    }
    i = leading[0].length;
  }
  let out = '';
  let inClass = false;
  // Position of the first item in the current bracket expression, where `]` is a literal in Go.
  let classStart = -1;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return refuse('ends with a lone backslash');
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end === -1 ? pattern.length : end);
        out += literal.replace(inClass ? /[\\\]^-]/g : /[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end === -1 ? pattern.length : end + 2;
        continue;
      }
      if (next === 'x' && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3);
        const hex = close === -1 ? '' : pattern.slice(i + 3, close);
        if (!/^[0-9a-fA-F]{1,4}$/.test(hex)) return refuse(`\\x{${hex}} is not a character JavaScript can spell without the u flag`);
        out += `\\u${hex.padStart(4, '0')}`;
        i = close + 1;
        continue;
      }
      const rewritten = REWRITTEN_ESCAPES[next];
      if (rewritten) {
        const spelled = inClass ? rewritten.inside : rewritten.outside;
        if (spelled === null) return refuse(`\\${next} cannot appear inside [...]`);
        out += spelled;
      } else if (REFUSED_ESCAPES[next]) {
        return refuse(REFUSED_ESCAPES[next]);
      } else if (/[a-zA-Z]/.test(next) && !KEPT_ESCAPES.has(next)) {
        return refuse(`\\${next} is not an escape in Go or JavaScript (JavaScript would read a plain "${next}")`);
      } else {
        out += c + next;
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
        if (posix) {
          const expansion = POSIX_CLASSES[posix[2]!];
          if (expansion === undefined) return refuse(`[:${posix[2]}:] is not a POSIX class`);
          if (posix[1]) return refuse(`the negated class [:^${posix[2]}:] has no rewrite; write [^${expansion}]`);
          out += expansion;
          i += posix[0].length;
          continue;
        }
      }
      if (c === ']' && i === classStart) {
        out += '\\]';
      } else {
        if (c === ']') inClass = false;
        out += c;
      }
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      const negated = pattern[i + 1] === '^';
      out += negated ? '[^' : '[';
      i += negated ? 2 : 1;
      classStart = i;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const group = pattern.slice(i);
      if (group.startsWith('(?P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (group.startsWith('(?P=') || group.startsWith('(?P>')) return refuse('(?P=name) back-references are not RE2 syntax; JavaScript writes \\k<name>');
      if (/^\(\?[a-zA-Z-]+[):]/.test(group)) return refuse('inline flags are translated only at the very start of a pattern, as in (?i)^main-');
    }
    out += c;
    i += 1;
  }
  try {
    new RegExp(out, flags);
  } catch (err) {
    // V8 repeats the whole pattern in its message; the refusal names it once already.
    return refuse(`invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`);
  }
  return { source: out, flags };
}

/** Compiles a Go or JavaScript pattern, or returns why it cannot be used. */
export function compileGoRegexp(pattern: string): { regexp: RegExp } | { problem: string } {
  const translated = translateGoRegexp(pattern);
  if ('problem' in translated) return translated;
  return { regexp: new RegExp(translated.source, translated.flags) };
}

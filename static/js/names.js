// Names of the circuit language, found in a program without building a pattern from them.
//
// A name follows Python: a Unicode letter or _ first, then letters, digits, marks, _
// (XID_Start and XID_Continue, as app/lang/tokens.py's str.isidentifier). Names come
// from links, the input panel and the server; they are compared as strings, never
// turned into regular expressions (a name like `(a+)+$` would be a pattern that hangs).

const NAME = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;
// one run of identifier characters, or a comment (# to the end of the line) to skip
const TOKEN = /#[^\n]*|\p{XID_Continue}+/gu;

export function isName(text) {
  return typeof text === "string" && NAME.test(text);
}

// Where `name` is first used in the program's text as a whole name, outside comments:
// its index, or -1.
export function firstUse(program, name) {
  for (const match of program.matchAll(TOKEN)) {
    if (match[0] === name) return match.index;
  }
  return -1;
}

// The index of each name's first use in the program (one pass, for sorting many names).
export function firstUses(program) {
  const first = new Map();
  for (const match of program.matchAll(TOKEN)) {
    if (match[0][0] !== "#" && !first.has(match[0])) first.set(match[0], match.index);
  }
  return first;
}

export function usesName(program, name) {
  return firstUse(program, name) >= 0;
}

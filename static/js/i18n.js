// Every piece of UI text, in English and Simplified Chinese (strings-en.js,
// strings-zh.js). Math stays math.

import en from "./strings-en.js";
import zh from "./strings-zh.js";

export const LANGS = ["en", "zh"];

const STRINGS = { en, zh };

export function detectLang(storage, navigatorLanguage) {
  const saved = storage && storage.getItem("backprop-lab.lang");
  if (LANGS.includes(saved)) return saved;
  return (navigatorLanguage || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function has(lang, key) {
  return key in STRINGS[lang];
}

export function t(lang, key, params = {}) {
  const table = STRINGS[lang] || STRINGS.en;
  const template = key in table ? table[key] : (STRINGS.en[key] ?? key);
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

// An API error in the user's language: a translated template where we have one,
// the server's English summary otherwise.
export function errorText(lang, error) {
  const args = error.args || {};
  if (error.key === "missing_value" && Array.isArray(args.names)) return missingText(lang, args);
  if (error.key === "unexpected" && lang !== "en" && has(lang, `err.expect.${args.expected}`)) {
    const where = { end: "err.at.end", line: "err.at.line" }[args.at];
    return t(lang, "err.unexpected_full", {
      expected: t(lang, `err.expect.${args.expected}`, args),
      found: where ? t(lang, where) : `'${args.found}'`,
    });
  }
  if (lang === "en") return error.summary || error.message;
  let key = `err.${error.key || error.type}`;
  if (error.key === "unknown_function" && args.suggestion) key = "err.unknown_function_hint";
  if (!has(lang, key)) return error.summary || error.message;
  const params = { summary: error.summary || error.message, ...args };
  if (Array.isArray(args.names)) params.names = args.names.map((n) => `'${n}'`).join("、");
  for (const name of ["seed", "output"]) {
    if (Array.isArray(args[name])) params[name] = args[name].join(", ");
  }
  return t(lang, key, params);
}

// A missing value in the page's words: where to type it (the Inputs panel) or what to write
// in the program, and the name it was probably meant to be. The API and the CLI keep their
// own wording.
function missingText(lang, args) {
  const names = args.names;
  const text = t(lang, "missingValue", {
    names: names.join(t(lang, "listSeparator")), example: names[0],
  });
  const hints = Object.entries(args.suggestions || {}).map(([typed, meant]) => (
    t(lang, "didYouMean", { typed, meant })));
  return [text, ...hints].join(" ");
}

// A message kept in the state, said in the language shown: a UI text ({ui, params}) or
// an API error (its envelope's `error`).
export function message(lang, said) {
  if (!said) return "";
  if (said.ui) return t(lang, said.ui, said.params);
  return errorText(lang, said);
}

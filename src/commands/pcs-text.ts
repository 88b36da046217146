// How pcs 0.11.5 writes values in its text, its commands and its JSON, so that berth's config
// commands print the same bytes: pcs's own quoting of name=value lists (str_tools.quote), Python's
// shlex.quote for commands, Python's ordering of strings, and json.dumps with its defaults.

/** pcs's str_tools.quote: quote a value only when it holds one of `chars`. */
export function pcsQuote(value: string, chars = '= '): string {
  if (![...chars].some((c) => value.includes(c))) return value;
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/"/g, '\\"')}"`;
}

/** pcs's format_name_value_list: `name=value` with both sides quoted as pcsQuote does. */
export const nameValue = ([name, value]: readonly [string, string]): string => `${pcsQuote(name)}=${pcsQuote(value)}`;

/** Python's shlex.quote (the safe characters are ASCII: `\w` under re.ASCII). */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (!/[^A-Za-z0-9_@%+=:,./-]/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Python's `<` on str: by code point (JavaScript's default sort compares UTF-16 units). */
export function pythonCompare(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

/** Python's `<` on tuples of str. */
export function pythonCompareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = pythonCompare(a[i], b[i]);
    if (d) return d;
  }
  return a.length - b.length;
}

/** Python's int() of a string: surrounding whitespace, a sign, digits with single underscores. */
export function pythonInt(v: string): number | undefined {
  const t = v.trim();
  return /^[+-]?\d+(_\d+)*$/.test(t) ? Number(t.replace(/_/g, '')) : undefined;
}

/** A value pcs's JSON carries: what Python's json.dumps gets from a DTO. */
export type PyJson = string | number | boolean | null | PyJson[] | { [key: string]: PyJson };

function pyString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (cp < 0x20 || cp > 0x7e) {
      // ensure_ascii: every non-ASCII character as \uXXXX, astral ones as a surrogate pair
      for (let i = 0; i < ch.length; i++) out += '\\u' + ch.charCodeAt(i).toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

/** Python's json.dumps(value) with its defaults: ", " and ": " separators, ASCII only, keys in order. */
export function pythonJsonDumps(v: PyJson): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${v.map(pythonJsonDumps).join(', ')}]`;
  return `{${Object.keys(v).map((k) => `${pyString(k)}: ${pythonJsonDumps(v[k])}`).join(', ')}}`;
}

// pcs's and Python's ways of writing values, against what Python 3.11 and pcs 0.11.5 return (the
// table was printed by /usr/bin/python3 with pcs's own str_tools.quote, shlex.quote, json.dumps and
// sorted(); see the command in the commit that added it). The config goldens cover these too, but
// not every character class.
import t from 'tap';
import { pcsQuote, pythonCompare, pythonInt, pythonJsonDumps, shellQuote } from '../../src/commands/pcs-text';

// [value, shlex.quote(value), pcs quote(value, "= "), json.dumps(value)]
const PYTHON: [string, string, string, string][] = JSON.parse(String.raw`[["", "''", "", "\"\""], ["plain", "plain", "plain", "\"plain\""], ["a b", "'a b'", "\"a b\"", "\"a b\""], ["it's", "'it'\"'\"'s'", "it's", "\"it's\""], ["x\"y", "'x\"y'", "x\"y", "\"x\\\"y\""], ["both ' and \"", "'both '\"'\"' and \"'", "\"both ' and \\\"\"", "\"both ' and \\\"\""], ["k=v", "k=v", "\"k=v\"", "\"k=v\""], ["\u00fc", "'\u00fc'", "\u00fc", "\"\\u00fc\""], ["\ud83d\ude00", "'\ud83d\ude00'", "\ud83d\ude00", "\"\\ud83d\\ude00\""], ["tab\there", "'tab\there'", "tab\there", "\"tab\\there\""], ["new\nline", "'new\nline'", "new\nline", "\"new\\nline\""], ["\u0001", "'\u0001'", "\u0001", "\"\\u0001\""], ["back\\slash", "'back\\slash'", "back\\slash", "\"back\\\\slash\""], ["/path/to:file,x@y%z+1.2-3_4", "/path/to:file,x@y%z+1.2-3_4", "/path/to:file,x@y%z+1.2-3_4", "\"/path/to:file,x@y%z+1.2-3_4\""]]`);
// sorted(["b","a","é","😀","\uffff","Z","a b"])
const SORTED: string[] = JSON.parse(String.raw`["Z", "a", "a b", "b", "\u00e9", "\uffff", "\ud83d\ude00"]`);

t.test('quoting and json.dumps as Python', async (t) => {
  t.equal(PYTHON.length, 14);
  for (const [value, shell, pcs, json] of PYTHON) {
    t.strictSame([shellQuote(value), pcsQuote(value), pythonJsonDumps(value)], [shell, pcs, json], JSON.stringify(value));
  }
  t.equal(pythonJsonDumps({ a: [1, null, true], 'ü': { b: 'x' } }), '{"a": [1, null, true], "\\u00fc": {"b": "x"}}');
});

t.test('strings sort by code point, as Python sorts them', async (t) => {
  t.strictSame(['b', 'a', 'é', '😀', '\uffff', 'Z', 'a b'].sort(pythonCompare), SORTED);
});

t.test("int() of a string, as Python's", async (t) => {
  const cases: [string, number | undefined][] = [['80', 80], [' +81 ', 81], ['0082', 82], ['-1', -1], ['1_000', 1000], ['1__0', undefined], ['', undefined], ['8.0', undefined], ['0x10', undefined]];
  t.strictSame(cases.map(([v]) => [v, pythonInt(v)]), cases);
});

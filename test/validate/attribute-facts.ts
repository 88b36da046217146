// The JSON Schema (schemas/cib.schema.json) and the command line's rules for attribute values
// (src/validate/attribute-facts.ts) say the same thing: the schema knows the same elements and
// attribute names as the tables, refuses exactly the values the rules refuse, and a value it
// refuses is worded as the rule words it (code, message, allowed, value), never as a pattern.
import t from 'tap';
import { schemaProblems } from '../../src/cib/schema';
import { ELEMENT_FACTS, attributeProblems } from '../../src/validate/attribute-facts';
import schema from '../../schemas/cib.schema.json';

interface AttrsSchema {
  properties?: Record<string, { pattern?: string; minLength?: number; enum?: string[] }>;
  additionalProperties?: unknown;
}

/** The schema's rule for the attributes of each element it checks. */
function schemaAttrs(): Map<string, AttrsSchema> {
  const out = new Map<string, AttrsSchema>();
  for (const branch of schema.definitions.element.allOf) {
    const tag = branch.if.properties.tag.const;
    const attrs = (branch.then.properties as { attrs: AttrsSchema | { $ref: string } }).attrs;
    out.set(tag, '$ref' in attrs ? (schema.definitions.containerAttrs as AttrsSchema) : attrs);
  }
  return out;
}

const constrained = (a: AttrsSchema) =>
  Object.entries(a.properties ?? {}).filter(([, p]) => p.pattern !== undefined || p.minLength !== undefined || p.enum !== undefined).map(([k]) => k).sort();

t.test('the schema and the tables know the same elements, names and constrained attributes', async (t) => {
  const attrs = schemaAttrs();
  t.strictSame([...attrs.keys()].sort(), Object.keys(ELEMENT_FACTS).sort(), 'one table entry per element the schema checks');
  for (const [tag, a] of attrs) {
    const facts = ELEMENT_FACTS[tag];
    t.strictSame(facts.names ? [...facts.names].sort() : undefined, a.additionalProperties === false ? Object.keys(a.properties ?? {}).sort() : undefined, `${tag}: the attribute names`);
    t.strictSame(Object.keys(facts.values).sort(), constrained(a), `${tag}: a value rule for each attribute the schema constrains`);
  }
});

const SAMPLES = [
  '', ' ', '0', '00', '1', '01', '+1', '-1', '-0', ' 3 ', '3 ', 'abc', '1a', '2.5', '32', '33', '65535', '65536', '99999999999',
  '1-2', '5-3', '0-1', '01-02', '1-65536', '1 -2', 'a-b',
  '10.0.0.1', '10.0.0.300', '01.2.3.4', '1.2.3', '255.255.255.255',
  '/a', 'a', '/', '/a/../b', '/a/..', '/..', '/..x', '//..', 'relative/dir',
  'true', 'TrUe', 'no', 'OFF', 'maybe', 'y',
  'INFINITY', '-INFINITY', '+INFINITY', ' INFINITY ', 'inf', '-5', '+5', ' 5 ',
  'web', '_x', 'x.y-z', '1web', 'we b', 'wé',
];

/**
 * Values the command line refuses and the schema lets through, each with why. Asserted both ways,
 * so that neither side can drift silently.
 */
const KNOWN: Record<string, string> = {
  'port-mapping range 5-3': 'a range whose start is past its end: a pattern cannot compare two numbers',
};

/** The element as the only child of a CIB (the schema checks an element wherever it is), or the root itself. */
const place = (tag: string, attrs: Record<string, string>) =>
  tag === 'cib' ? { tag: 'cib', attrs } : { tag: 'cib', attrs: {}, children: [{ tag, attrs }] };
const at = (tag: string, name: string) => (tag === 'cib' ? `/cib/@${name}` : `/cib/${tag}/@${name}`);
const words = (ps: { code: string; message: string; allowed?: string; value?: string }[]) => ps.map((p) => ({ code: p.code, message: p.message, allowed: p.allowed, value: p.value }));

t.test('for every constrained attribute, the schema refuses what the rule refuses, in the rule\'s words', async (t) => {
  let cases = 0;
  const known = new Set<string>();
  for (const [tag, facts] of Object.entries(ELEMENT_FACTS)) {
    for (const name of Object.keys(facts.values)) {
      for (const value of SAMPLES) {
        // an id is also what the schema's path names the element by: keep the path fixed
        const attrs = { [name]: value };
        const fromSchema = schemaProblems(place(tag, attrs)).filter((p) => p.path === at(tag, name) || (name === 'id' && p.path?.endsWith('/@id')));
        const fromRule = attributeProblems(tag, name, value);
        const key = `${tag} ${name} ${value}`;
        if (KNOWN[key]) {
          known.add(key);
          t.strictSame([fromSchema.length, fromRule.length > 0], [0, true], `${key}: ${KNOWN[key]}`);
          continue;
        }
        t.strictSame(words(fromSchema), words(fromRule), key);
        cases++;
      }
    }
  }
  t.strictSame([...known].sort(), Object.keys(KNOWN).sort(), 'every known difference is still one');
  t.ok(cases > 1000, `${cases} cases`);
});

t.test('no schema problem shows a pattern', async (t) => {
  for (const [tag, facts] of Object.entries(ELEMENT_FACTS)) {
    for (const name of Object.keys(facts.values)) {
      for (const value of SAMPLES) {
        for (const p of schemaProblems(place(tag, { [name]: value }))) {
          t.notMatch(`${p.message} ${p.allowed ?? ''}`, /\^|\$|\[0-9\]|must match/, `${tag} ${name} '${value}': ${p.message}`);
        }
      }
    }
  }
});

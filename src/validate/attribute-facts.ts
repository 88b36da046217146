// What the attributes of each CIB element the JSON Schema checks may hold, as the rules the
// command line applies: the schema check of a file (src/cib/schema.ts) words a value the schema
// refuses with the same validator as `resource bundle create` and friends, so one fact has one
// code and one message wherever it is found. The schema stays the contract for JSON; a test
// holds the two in agreement (test/validate/attribute-facts.ts).
import { Problem } from '../errors/registry';
import {
  CONTAINER_OPTIONS, CONTAINER_VALUES, NETWORK_OPTIONS, NETWORK_VALUES, PORT_MAP_OPTIONS, PORT_MAP_VALUES, PORT_MAP_WHOLE,
  STORAGE_MAP_OPTIONS, STORAGE_MAP_VALUES, STORAGE_MAP_WHOLE, idValue,
} from './bundle-options';
import { Validator, isRequiredAll, isRequiredSome, mutuallyExclusive, valueNotEmpty, valueRule } from './options';
import { invalidScore, schemaScore } from './score';

export interface ElementFacts {
  /** How messages name the element's options (pcs's option type: 'container', 'port-map'). */
  type: string;
  /** The attributes the element may have; absent: any. */
  names?: readonly string[];
  /** Per attribute, the rule for its value. */
  values: Record<string, Validator>;
  /** The element's attributes together: the required ones, one of two. */
  whole: Validator[];
}

/** How an element's id is named in messages: the command line's words where it makes the element. */
const ID_LABELS: Record<string, string> = {
  bundle: 'bundle name',
  'port-mapping': 'port-map id',
  'storage-mapping': 'storage-map id',
  primitive: 'resource name',
  rsc_location: 'constraint id',
  rsc_colocation: 'constraint id',
  rsc_order: 'constraint id',
  rsc_ticket: 'constraint id',
};

export const idLabel = (tag: string) => ID_LABELS[tag] ?? `${tag} id`;

/** The version attributes of <cib>: not options, so a bad one breaks the document (SCHEMA_VIOLATION). */
const version = (name: string) => valueRule({ name, valid: (v) => /^[0-9]+$/.test(v), hint: 'a non-negative integer', code: 'SCHEMA_VIOLATION' });

const score: Validator = (opts) => (opts.score !== undefined && !schemaScore(opts.score) ? [invalidScore(opts.score)] : []);

/** A primitive names its agent (class and type, provider optional) or a template, not both. */
const agentOrTemplate: Validator = (opts) => {
  if (!('template' in opts)) return isRequiredAll(['class', 'type'], 'primitive')(opts);
  const own = ['class', 'provider', 'type'].filter((n) => n in opts);
  return own.length ? mutuallyExclusive(['template', own[0]], 'primitive')(opts) : [];
};

/** A count in a CIB is any integer, as Pacemaker's schema has it (xsd:integer): one below 1 is read
 * as 1, as Pacemaker reads it, and bundle-rules.ts says so. The command line keeps pcs's positive
 * rule (CONTAINER_VALUES) for what it writes. */
const count = (name: string) => valueRule({ name, valid: (v) => /^\s*[+-]?[0-9]+\s*$/.test(v), hint: 'a positive integer' });
const container: ElementFacts = {
  type: 'container',
  names: CONTAINER_OPTIONS,
  values: { ...CONTAINER_VALUES, replicas: count('replicas'), 'replicas-per-host': count('replicas-per-host') },
  whole: [isRequiredAll(['image'], 'container')],
};
const nvset = (tag: string): ElementFacts => ({ type: tag, values: { id: idValue(idLabel(tag)) }, whole: [] });

export const ELEMENT_FACTS: Record<string, ElementFacts> = {
  cib: { type: 'cib', values: { admin_epoch: version('admin_epoch'), epoch: version('epoch'), num_updates: version('num_updates') }, whole: [] },
  bundle: { type: 'bundle', names: ['description', 'id'], values: { id: idValue(idLabel('bundle')) }, whole: [isRequiredAll(['id'], 'bundle')] },
  docker: container,
  podman: container,
  network: { type: 'network', names: NETWORK_OPTIONS, values: NETWORK_VALUES, whole: [] },
  'port-mapping': { type: 'port-map', names: PORT_MAP_OPTIONS, values: PORT_MAP_VALUES, whole: [isRequiredAll(['id'], 'port-map'), ...PORT_MAP_WHOLE] },
  'storage-mapping': { type: 'storage-map', names: STORAGE_MAP_OPTIONS, values: STORAGE_MAP_VALUES, whole: [isRequiredAll(['id'], 'storage-map'), ...STORAGE_MAP_WHOLE] },
  // its own pair, or a reference to another (Pacemaker's nvset schema: id-ref with an optional name)
  nvpair: {
    type: 'nvpair',
    names: ['id', 'id-ref', 'name', 'value'],
    values: { id: idValue(idLabel('nvpair')), name: valueNotEmpty('name', 'nvpair name') },
    whole: [isRequiredSome(['id', 'id-ref'], 'nvpair'), mutuallyExclusive(['id', 'id-ref'], 'nvpair')],
  },
  // its own agent (class, provider, type), or a <template>'s
  primitive: {
    type: 'primitive',
    names: ['class', 'description', 'id', 'provider', 'template', 'type'],
    values: { id: idValue(idLabel('primitive')), class: valueNotEmpty('class', 'resource class'), type: valueNotEmpty('type', 'resource type') },
    whole: [isRequiredAll(['id'], 'primitive'), agentOrTemplate],
  },
  meta_attributes: nvset('meta_attributes'),
  instance_attributes: nvset('instance_attributes'),
  rsc_location: { type: 'rsc_location', values: { id: idValue(idLabel('rsc_location')), score }, whole: [isRequiredAll(['id'], 'rsc_location')] },
};

/** The facts of an element the schema checks (a tag such as 'constructor' is no key of the table). */
export const factsOf = (tag: string): ElementFacts | undefined => (Object.hasOwn(ELEMENT_FACTS, tag) ? ELEMENT_FACTS[tag] : undefined);

/** The problems of one attribute's value, by the element's rule for it (none: no rule). */
export function attributeProblems(tag: string, name: string, value: string): Problem[] {
  const values = factsOf(tag)?.values;
  const rule = values && Object.hasOwn(values, name) ? values[name] : undefined;
  return rule ? rule({ [name]: value }) : [];
}

// Random CIB pairs for property tests, from a seeded PRNG so that a failure names its seed.
// `randomCib` builds a CIB (bundles, primitives, groups, constraints, properties, comments);
// `mutate` makes an edited copy with what operators and the cluster do: attributes set, unset
// and reordered, elements created at any position, deleted, moved among siblings and to another
// parent, comments added and removed, version bumps. Not a test itself.
import { XmlComment, XmlElement, XmlNode, cloneTree, el, isElement } from '../../src/cib/xml';

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  readonly rnd: () => number;
  private serial = 0;
  constructor(seed: number) {
    this.rnd = prng(seed);
  }
  int(n: number): number { return Math.floor(this.rnd() * n); }
  pick<T>(list: readonly T[]): T { return list[this.int(list.length)]; }
  chance(p: number): boolean { return this.rnd() < p; }
  id(prefix: string): string { return `${prefix}${++this.serial}`; }
  value(): string { return this.pick(['1', '2', '10s', '20s', 'true', 'false', 'Started', 'Stopped', 'INFINITY', '-INFINITY', 'a b', '"q"', "it's", '<x&y>', '', 'ünï']); }
  comment(): XmlComment { return { comment: this.pick([' note ', ' managed by berth ', ' TODO ', ' note ']) }; }

  nvpairs(owner: string, kind: string): XmlElement {
    const setId = `${owner}-${kind}`;
    const kids: XmlNode[] = [];
    for (let k = this.int(3) + 1; k > 0; k--) {
      const name = this.pick(['target-role', 'is-managed', 'priority', 'resource-stickiness', 'failure-timeout', 'ip', 'port']);
      kids.push(el('nvpair', { id: this.id(`${setId}-${name}-`), name, value: this.value() }));
    }
    return el(kind, { id: setId }, kids);
  }

  primitive(): XmlElement {
    const id = this.id('rsc');
    const p = el('primitive', { id, class: 'ocf', provider: 'heartbeat', type: this.pick(['Dummy', 'apache', 'IPaddr2']) });
    if (this.chance(0.5)) p.children.push(this.nvpairs(id, 'instance_attributes'));
    if (this.chance(0.3)) p.children.push(this.nvpairs(id, 'meta_attributes'));
    if (this.chance(0.6)) {
      const ops = el('operations');
      for (const name of ['monitor', 'start', 'stop'].slice(0, this.int(3) + 1)) ops.children.push(el('op', { id: `${id}-${name}`, name, interval: name === 'monitor' ? '10s' : '0s', timeout: '20s' }));
      p.children.push(ops);
    }
    return p;
  }

  bundle(): XmlElement {
    const id = this.id('bundle');
    const b = el('bundle', { id });
    if (this.chance(0.2)) b.attrs.description = this.value();
    b.children.push(el(this.pick(['docker', 'podman']), { image: `registry/${id}:${this.int(3)}`, replicas: String(this.int(4) + 1), ...(this.chance(0.3) ? { options: '--log-driver=journald' } : {}) }));
    const net = el('network', this.chance(0.5) ? { 'ip-range-start': `10.0.${this.int(250)}.1`, 'control-port': '3121' } : { 'control-port': '3121' });
    for (let k = this.int(3); k > 0; k--) net.children.push(el('port-mapping', { id: this.id(`${id}-port-map-`), port: String(80 + this.int(1000)) }));
    b.children.push(net);
    if (this.chance(0.5)) b.children.push(el('storage', {}, [el('storage-mapping', { id: `${id}-storage-map`, 'source-dir': `/srv/${id}`, 'target-dir': '/data', options: 'rw' })]));
    if (this.chance(0.4)) b.children.push(this.nvpairs(id, 'meta_attributes'));
    if (this.chance(0.5)) b.children.push(this.primitive());
    return b;
  }

  group(): XmlElement {
    const g = el('group', { id: this.id('group') });
    for (let k = this.int(4) + 1; k > 0; k--) g.children.push(this.primitive());
    return g;
  }

  resource(): XmlElement {
    const r = this.rnd();
    return r < 0.5 ? this.bundle() : r < 0.8 ? this.primitive() : this.group();
  }

  constraint(): XmlElement {
    const kind = this.pick(['rsc_location', 'rsc_colocation', 'rsc_order']);
    const id = this.id(`${kind}-`);
    if (kind === 'rsc_location') return el(kind, { id, rsc: this.id('r'), node: this.pick(['node1', 'node2']), score: this.value() });
    if (kind === 'rsc_colocation') return el(kind, { rsc: this.id('r'), 'with-rsc': this.id('r'), score: 'INFINITY', id });
    return el(kind, { first: this.id('r'), then: this.id('r'), id });
  }
}

export function randomCib(g: Gen): XmlElement {
  const resources = el('resources');
  for (let k = g.int(12); k > 0; k--) resources.children.push(g.chance(0.1) ? g.comment() : g.resource());
  const constraints = el('constraints');
  for (let k = g.int(5); k > 0; k--) constraints.children.push(g.constraint());
  const props = el('cluster_property_set', { id: 'cib-bootstrap-options' }, [el('nvpair', { id: 'cib-bootstrap-options-stonith-enabled', name: 'stonith-enabled', value: 'false' })]);
  const nodes = el('nodes', {}, [el('node', { id: '1', uname: 'node1' }), el('node', { id: '2', uname: 'node2' })]);
  const status = el('status');
  if (g.chance(0.5)) status.children.push(el('node_state', { id: '1', uname: 'node1', crmd: 'online' }, [el('lrm', { id: '1' }, [el('lrm_resources')])]));
  return el('cib', { crm_feature_set: '3.16.1', 'validate-with': 'pacemaker-3.9', epoch: String(g.int(50)), num_updates: String(g.int(5)), admin_epoch: '0' }, [
    el('configuration', {}, [el('crm_config', {}, [props]), nodes, resources, constraints]),
    status,
  ]);
}

// Containers and what may be created in them.
function childFor(g: Gen, parent: XmlElement): XmlNode | undefined {
  switch (parent.tag) {
    case 'resources': return g.chance(0.15) ? g.comment() : g.resource();
    case 'group': return g.primitive();
    case 'constraints': return g.chance(0.15) ? g.comment() : g.constraint();
    case 'network': return el('port-mapping', { id: g.id('pm'), port: String(g.int(65535)) });
    case 'operations': return el('op', { id: g.id('op'), name: 'monitor', interval: `${g.int(60)}s` });
    case 'instance_attributes': case 'meta_attributes': case 'cluster_property_set':
      return el('nvpair', { id: g.id('nv'), name: g.pick(['a', 'b', 'c']), value: g.value() });
    case 'bundle': return g.chance(0.3) ? g.comment() : g.nvpairs(g.id('b'), 'meta_attributes');
    case 'lrm_resources': return el('lrm_resource', { id: g.id('lrm'), class: 'ocf', type: 'Dummy' });
    default: return undefined;
  }
}

const SECTIONS = new Set(['cib', 'configuration', 'crm_config', 'nodes', 'resources', 'constraints', 'status']);

/** An edited copy of `a` (k random edits, k may be 0). */
export function mutate(g: Gen, a: XmlElement, edits = g.int(7)): XmlElement {
  const b = cloneTree(a);
  for (let k = 0; k < edits; k++) {
    const all: { e: XmlElement; parent?: XmlElement }[] = [];
    (function collect(e: XmlElement, parent?: XmlElement) {
      all.push({ e, parent });
      for (const c of e.children) if (isElement(c)) collect(c, e);
    })(b);
    const { e, parent } = g.pick(all);
    const names = Object.keys(e.attrs).filter((n) => n !== 'id');
    switch (g.int(11)) {
      case 0: // set an attribute (new or existing)
        e.attrs[g.chance(0.5) && names.length ? g.pick(names) : g.pick(['description', 'score', 'x-new', 'priority'])] = g.value();
        break;
      case 1: // unset one
        if (names.length) delete e.attrs[g.pick(names)];
        break;
      case 2: { // reorder attributes
        const entries = Object.entries(e.attrs);
        for (let i = entries.length - 1; i > 0; i--) { const j = g.int(i + 1); [entries[i], entries[j]] = [entries[j], entries[i]]; }
        e.attrs = Object.fromEntries(entries);
        break;
      }
      case 3: // delete
        if (parent && !SECTIONS.has(e.tag)) parent.children.splice(parent.children.indexOf(e), 1);
        break;
      case 4: case 5: { // create at a random position
        const c = childFor(g, e);
        if (c) e.children.splice(g.int(e.children.length + 1), 0, c);
        break;
      }
      case 6: { // move one child within its parent
        if (e.children.length < 2) break;
        const [c] = e.children.splice(g.int(e.children.length), 1);
        e.children.splice(g.int(e.children.length + 1), 0, c);
        break;
      }
      case 7: // shuffle all children
        for (let i = e.children.length - 1; i > 0; i--) { const j = g.int(i + 1); [e.children[i], e.children[j]] = [e.children[j], e.children[i]]; }
        break;
      case 8: { // move an element to another parent of the same kind (delete + create)
        if (!parent || SECTIONS.has(e.tag)) break;
        const targets = all.filter((x) => x.e.tag === parent.tag && x.e !== parent && !contains(e, x.e));
        if (!targets.length) break;
        parent.children.splice(parent.children.indexOf(e), 1);
        const to = g.pick(targets).e;
        to.children.splice(g.int(to.children.length + 1), 0, e);
        break;
      }
      case 10: { // rarely: a copy without id next to it, so siblings share a key (crm_diff gets those wrong)
        if (!parent || SECTIONS.has(e.tag) || !g.chance(0.3)) break;
        const copy = cloneTree(e);
        delete copy.attrs.id;
        parent.children.splice(parent.children.indexOf(e) + g.int(2), 0, copy);
        break;
      }
      case 9: // version bump, or drop a comment
        if (g.chance(0.5)) { b.attrs.epoch = String(Number(b.attrs.epoch) + 1); b.attrs.num_updates = '0'; } else {
          const at = e.children.findIndex((c) => !isElement(c));
          if (at >= 0) e.children.splice(at, 1);
        }
        break;
    }
  }
  return b;
}

/**
 * True when Pacemaker's matching of children by key is ambiguous for this pair: some element has
 * two children of the same key (or an id-less one sharing a tag with a sibling), or an id-less
 * child in one tree has the tag of a child with an id under the same parent in the other. There
 * crm_diff's own patch loses changes, and berth re-creates those children instead.
 */
export function hasAmbiguousKeys(a: XmlElement, b: XmlElement): boolean {
  const idless = [new Set<string>(), new Set<string>()];
  const withId = [new Set<string>(), new Set<string>()];
  let shared = false;
  const visit = (e: XmlElement, path: string, k: number) => {
    const tags = new Map<string, boolean>();
    const keys = new Set<string>();
    for (const c of e.children) {
      if (!isElement(c)) continue;
      const noId = c.attrs.id === undefined;
      const seen = tags.get(c.tag);
      if (seen !== undefined && (noId || seen)) shared = true;
      tags.set(c.tag, (seen ?? false) || noId);
      const key = `${c.tag}[${c.attrs.id}]`;
      if (!noId && keys.has(key)) shared = true;
      keys.add(key);
      (noId ? idless : withId)[k].add(`${path} ${c.tag}`);
      visit(c, `${path}/${noId ? c.tag : key}`, k);
    }
  };
  visit(a, '', 0);
  visit(b, '', 1);
  if (shared) return true;
  for (const x of idless[0]) if (withId[1].has(x)) return true;
  for (const x of idless[1]) if (withId[0].has(x)) return true;
  return false;
}

function contains(outer: XmlElement, inner: XmlElement): boolean {
  if (outer === inner) return true;
  return outer.children.some((c) => isElement(c) && contains(c, inner));
}

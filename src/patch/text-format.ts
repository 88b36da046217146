// A patch for people, the way `nomad job plan` shows a change: one line per element that is
// added (+), removed (-) or changed (~), named by tag and id, nested as in the CIB, and under it
// one line per attribute with old => new values. Old values come from `orig`.
//
//   ~ resources
//     + bundle "web" (at position 3)
//       + docker
//         + image: "nginx"
//     ~ bundle "db"
//       ~ replicas: "1" => "3"
//   1 added, 0 removed, 1 changed, 0 moved
import { XmlComment, XmlElement, isElement } from '../cib/xml';
import { ChildLookup, PathStep, isPositional } from './patch-path';
import { Patchset, formatVersionAttrs, readPatchset } from './patchset';

type Node = XmlElement | XmlComment;

interface Row {
  mark: '+' | '-' | '~';
  label: string;
  notes: string[];
  attrs: string[];
  /** subtree shown in full for added and removed elements */
  whole?: Node;
  kids: Map<string, Row>;
}

export function formatPatchText(orig: XmlElement, patch: XmlElement | Patchset): string {
  const ps = 'changes' in patch ? patch : readPatchset(patch);
  const lookup = new ChildLookup();
  const top: Row = { mark: '~', label: '', notes: [], attrs: [], kids: new Map() };
  const counts = { added: 0, removed: 0, changed: 0, moved: 0 };

  // The row for the element at `steps`, with rows for its ancestors.
  const rowAt = (steps: PathStep[], uniq = ''): Row => {
    let row = top;
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k];
      const keyPart = (s.id === undefined ? s.tag : `${s.tag}#${s.id}`) + (k === steps.length - 1 ? uniq : '');
      let next = row.kids.get(keyPart);
      if (!next) {
        next = { mark: '~', label: s.id === undefined ? s.tag : `${s.tag} "${s.id}"`, notes: [], attrs: [], kids: new Map() };
        row.kids.set(keyPart, next);
      }
      row = next;
    }
    return row;
  };

  for (const c of ps.changes) {
    switch (c.op) {
      case 'create': {
        const node = c.node;
        const step: PathStep = isElement(node) ? { tag: node.tag, id: node.attrs.id } : { tag: 'comment' };
        const row = rowAt([...c.steps, step], `+${c.index}`);
        row.mark = '+';
        row.label = labelOf(node);
        row.whole = node;
        row.notes.push(`at position ${c.position}`);
        counts.added++;
        break;
      }
      case 'delete': {
        const old = lookup.resolve(orig, c.steps, c.position)?.node;
        const row = rowAt(c.steps, `-${c.index}`);
        row.mark = '-';
        if (old) { row.label = labelOf(old); row.whole = old; }
        counts.removed++;
        break;
      }
      case 'modify': {
        const old = lookup.resolve(orig, c.steps)?.node;
        const before = old && isElement(old) ? old.attrs : {};
        const lines: string[] = [];
        const list = c.attrs ?? [
          ...Object.entries(c.result ?? {}).map(([name, value]) => ({ name, op: 'set' as const, value })),
          ...Object.keys(before).filter((n) => c.result?.[n] === undefined).map((name) => ({ name, op: 'unset' as const })),
        ];
        for (const a of list) {
          const was = before[a.name];
          if (a.op === 'unset') { if (was !== undefined) lines.push(`- ${a.name}: ${quote(was)}`); continue; }
          if (was === undefined) lines.push(`+ ${a.name}: ${quote(a.value!)}`);
          else if (was !== a.value) lines.push(`~ ${a.name}: ${quote(was)} => ${quote(a.value!)}`);
        }
        if (lines.length === 0) break; // only attribute order changed
        rowAt(c.steps).attrs.push(...lines);
        counts.changed++;
        break;
      }
      case 'move':
        rowAt(c.steps).notes.push(`moved to position ${c.position}`);
        counts.moved++;
        break;
    }
  }

  const out: string[] = [];
  const { source, target } = ps;
  if (source && target && formatVersionAttrs(source) !== formatVersionAttrs(target)) out.push(`Version ${formatVersionAttrs(source)} => ${formatVersionAttrs(target)}`);
  for (const r of top.kids.values()) render(r, '', out);
  const total = counts.added + counts.removed + counts.changed + counts.moved;
  out.push(total === 0 ? 'No changes.' : `${counts.added} added, ${counts.removed} removed, ${counts.changed} changed, ${counts.moved} moved`);
  return out.join('\n') + '\n';
}

function render(r: Row, indent: string, out: string[]): void {
  out.push(`${indent}${r.mark} ${r.label}${r.notes.length ? ` (${r.notes.join(', ')})` : ''}`);
  const inner = indent + '  ';
  for (const a of r.attrs) out.push(inner + a);
  if (r.whole) renderWhole(r.whole, r.mark as '+' | '-', inner, out);
  for (const k of r.kids.values()) render(k, inner, out);
}

// Every attribute and child of an added or removed element, at `indent`.
function renderWhole(n: Node, mark: '+' | '-', indent: string, out: string[]): void {
  if (!isElement(n)) return;
  for (const [name, value] of Object.entries(n.attrs)) if (name !== 'id') out.push(`${indent}${mark} ${name}: ${quote(value)}`);
  for (const c of n.children) {
    if (!isPositional(c)) continue;
    out.push(`${indent}${mark} ${labelOf(c)}`);
    renderWhole(c, mark, indent + '  ', out);
  }
}

function labelOf(n: Node): string {
  if (!isElement(n)) {
    const t = n.comment.trim();
    return `comment ${quote(t.length > 40 ? t.slice(0, 37) + '...' : t)}`;
  }
  return n.attrs.id === undefined ? n.tag : `${n.tag} "${n.attrs.id}"`;
}

const quote = (s: string) => JSON.stringify(s);

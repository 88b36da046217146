// The documentation stands on its own: every link of README.md and docs/*.md points to a file of
// this repository (never outside it, never to the web), and every #anchor to a heading there.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { documents } from '../helpers/doc-runners';
import { root } from '../helpers/cli';

/**
 * Files the index names that others are writing, and who: asserted both ways, so that an entry
 * leaves this table once its file exists.
 */
const PENDING: Record<string, string> = {
};

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8');
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (m) out.add(anchorOf(m[1]));
  }
  return out;
}

/** Markdown links [text](target) outside code spans and fences. */
function links(text: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) { fenced = !fenced; return; }
    if (fenced) return;
    const bare = line.replace(/`[^`]*`/g, '');
    for (const m of bare.matchAll(/\]\(([^)\s]+)\)/g)) out.push({ line: i + 1, target: m[1] });
  });
  return out;
}

t.test('anchors as GitHub makes them', async (t) => {
  const cases: [string, string][] = [
    ['The network: `network OPT=V...`', 'the-network-network-optv'],
    ['Restarts: what the engine does, what berth does', 'restarts-what-the-engine-does-what-berth-does'],
    ['One pass', 'one-pass'],
  ];
  for (const [h, a] of cases) t.equal(anchorOf(h), a, h);
});

t.test('every link points inside the repository, to a file and heading that exist', async (t) => {
  let count = 0;
  const missing = new Set<string>();
  for (const doc of documents()) {
    const from = path.join(root, doc);
    for (const l of links(fs.readFileSync(from, 'utf8'))) {
      count++;
      const where = `${doc}:${l.line}: ${l.target}`;
      t.notMatch(l.target, /^[a-z][a-z0-9+.-]*:/i, `${where}: a link to the repository's own files, not a URL`);
      const [file, anchor] = l.target.split('#');
      const target = file ? path.resolve(path.dirname(from), file) : from;
      const rel = path.relative(root, target);
      t.notOk(rel.startsWith('..') || path.isAbsolute(rel), `${where}: inside the repository`);
      if (!fs.existsSync(target)) {
        missing.add(rel);
        t.ok(PENDING[rel], `${where}: ${rel} exists`);
        continue;
      }
      if (anchor) t.ok(anchors(target).has(anchor), `${where}: heading #${anchor} exists in ${rel}`);
    }
  }
  t.ok(count >= 30, `links checked (${count})`);
  for (const p of Object.keys(PENDING)) t.ok(missing.has(p), `${p} is still pending (${PENDING[p]}); once it exists, remove it from PENDING`);
});

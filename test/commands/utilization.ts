// `node utilization` and `resource utilization` (src/commands/utilization.ts) against the goldens
// the real pcs 0.11.5 made (test/fixtures/pcs-utilization, scripts/pcs-utilization-fixtures.mjs):
// the same file afterwards (compared semantically), the same output, the same refusals with
// nothing changed. A difference from pcs is a table entry with its reason, asserted both ways.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCib } from '../../src/cib/cib';
import { canonical, child, parseXml, serializeXml } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';
import { nodeUtilizationSet, nodeUtilizationShow, resourceUtilizationSet, resourceUtilizationShow } from '../../src/commands/utilization';
import type { EditFlags } from '../../src/commands/edit';
import { readModel } from '../../src/model/model';

const dir = path.join(__dirname, '..', 'fixtures', 'pcs-utilization');

/** Where berth says more than pcs on purpose (the code is berth's; the refusal is the same). */
const DIFFERENCES: Record<string, { message: string; code: string; why: string }> = {
  '16-resource-bundle': { code: 'ID_WRONG_KIND', message: "Unable to find a resource: web (a bundle has no utilization of its own: set it on 'web-app', the resource inside it; Pacemaker moves it to each replica's container)", why: 'pcs says only that it finds no resource; berth names the resource inside the bundle' },
};

const configuration = (xml: string) => canonical(child(parseXml(xml), 'configuration')!);

const cases = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'case.json'))).sort();
t.ok(cases.length >= 15, `${cases.length} pcs cases`);

for (const name of cases) {
  t.test(name, async (t) => {
    const read = (f: string) => fs.readFileSync(path.join(dir, name, f), 'utf8');
    const info = JSON.parse(read('case.json')) as { argv: string[]; exit: number; stdout: string; stderr: string; tool: string };
    t.equal(info.tool, 'pcs 0.11.5');
    const cib = parseCib(read('input.xml'));
    const before = serializeXml(cib);
    const [what, , ...rest] = info.argv;
    const nameAt = rest.indexOf('--name');
    const flags: EditFlags = { file: 'cib.xml', force: false, ...(nameAt >= 0 ? { name: rest[nameAt + 1] } : {}) };
    const args = nameAt >= 0 ? rest.filter((_, i) => i !== nameAt && i !== nameAt + 1) : rest;
    const setting = args.length >= 2;
    let out = '';
    let problems: { code: string; message: string }[] = [];
    try {
      if (what === 'node') { if (setting) nodeUtilizationSet({ cib, args, flags }); else out = nodeUtilizationShow({ cib, args, flags }); }
      else if (setting) resourceUtilizationSet({ cib, args, flags }); else out = resourceUtilizationShow({ cib, args, flags });
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      problems = e.problems.map((p) => ({ code: p.code, message: p.message }));
    }
    if (info.exit === 0) {
      t.strictSame(problems, [], 'accepted, as by pcs');
      t.equal(configuration(serializeXml(cib)), configuration(read('expected.xml')), 'the same configuration as pcs wrote');
      t.equal(out, info.stdout, "pcs's output");
      // what pcs wrote on a node is the capacity the model reads for placement
      if (setting && what === 'node') {
        const node = readModel(parseCib(read('expected.xml'))).nodes.find((n) => n.name === args[0])!;
        t.strictSame(readModel(cib).nodes.find((n) => n.name === args[0])!.utilization, node.utilization, 'the same capacity for placement');
      }
    } else {
      const pcsErrors = info.stderr.split('\n').filter((l) => l.startsWith('Error: ')).map((l) => l.slice('Error: '.length));
      const diff = DIFFERENCES[name];
      if (diff) {
        t.notSame(problems.map((p) => p.message), pcsErrors, `berth differs on purpose: ${diff.why}`);
        t.strictSame(problems, [{ code: diff.code, message: diff.message }], "berth's refusal");
      } else {
        t.strictSame(problems.map((p) => p.message), pcsErrors, "pcs's errors");
      }
      t.equal(serializeXml(cib), before, 'nothing changed');
      t.equal(configuration(read('expected.xml')), configuration(read('input.xml')), 'pcs changed nothing either');
    }
  });
}

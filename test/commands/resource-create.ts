// `resource create` against the real pcs: every case in test/fixtures/resource-create/cases.json
// was run through pcs 0.11.5 / Pacemaker 2.1.5 by generate.py (input CIB, pcs's result CIB, pcs's
// exit code and stderr). berth must give the same CIB (semantically, versions aside), fail where pcs
// fails without touching the tree, and report the same problems in pcs's words; where berth
// deliberately differs, the case says why. Further cases use a fake agent catalog for what the
// installed agents cannot show (deprecated and alternative required parameters).
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cib, parseCib } from '../../src/cib/cib';
import { canonical, XmlElement, child, elements } from '../../src/cib/xml';
import { AgentCatalog } from '../../src/cib/agent';
import { BerthError, Problem } from '../../src/errors/registry';
import { createResource, parseResourceCreateArgs, resourceCreate, timeoutToSeconds } from '../../src/commands/resource-create';
import type { EditFlags } from '../../src/commands/edit';
import { Flags, editFlags } from '../../src/cli/invocation';

const dir = path.join(__dirname, '..', 'fixtures', 'resource-create');
const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

interface Case {
  name: string;
  about: string;
  args: string[];
  flags?: string[];
  errors?: string[];
  warnings?: string[];
  differs?: string;
  messageDiffers?: string;
}

const { cases } = JSON.parse(read('cases.json')) as { cases: Case[] };
const pcs = JSON.parse(read('pcs-results.json')) as { tool: string; cases: Record<string, { exit: number; stderr: string }> };

/** The flags as the CLI gives them to the command (the fixtures record pcs's argv). */
function flagsOf(words: string[] = [], extra: Partial<Flags> = {}): EditFlags {
  const flags: Flags = { force: false, json: false, help: false, ...extra };
  for (const w of words) flags[w.replace(/^--/, '')] = true;
  return editFlags(flags);
}

/** The CIB without its version counters: berth's CLI bumps them, the command does not. */
function versionless(cib: XmlElement): string {
  return canonical({ ...cib, attrs: Object.fromEntries(Object.entries(cib.attrs).filter(([k]) => k !== 'epoch' && k !== 'num_updates')) });
}

type Outcome = { ok: true; warnings: Problem[]; notes: string[] } | { ok: false; problems: Problem[] };

function run(cib: Cib, args: string[], flags: EditFlags): Outcome {
  try {
    const r = resourceCreate({ cib, args, flags });
    return { ok: true, warnings: r.warnings, notes: r.notes ?? [] };
  } catch (e) {
    if (e instanceof BerthError) return { ok: false, problems: e.problems };
    throw e;
  }
}

const codes = (list: Problem[], severity: 'error' | 'warning') => list.filter((p) => p.severity === severity).map((p) => p.code);
const rendered = (p: Problem) => p.message + (p.forceable && p.severity === 'error' ? ', use --force to override' : '');
const pcsLines = (stderr: string, prefix: RegExp) => stderr.split('\n').filter((l) => prefix.test(l) && !l.startsWith('Error: Errors have occurred'));

t.test(`fixtures were made by ${pcs.tool}`, async (t) => {
  t.match(pcs.tool, /^pcs 0\.11\.5 \/ Pacemaker 2\.1\.5/);
  t.same(Object.keys(pcs.cases).sort(), cases.map((c) => c.name).sort(), 'every case has a pcs result');
});

for (const c of cases) {
  t.test(`${c.name}: ${c.about}`, async (t) => {
    const input = read(`${c.name}.input.xml`);
    const cib = parseCib(input, `${c.name}.input.xml`);
    const before = versionless(cib);
    const got = run(cib, c.args, flagsOf(c.flags));
    const p = pcs.cases[c.name];
    const problems = got.ok ? got.warnings : got.problems;

    t.same(codes(problems, 'error'), c.errors ?? [], 'error codes');
    t.same(codes(problems, 'warning'), c.warnings ?? [], 'warning codes');
    t.equal(got.ok, (c.errors ?? []).length === 0, 'refused exactly when there are errors');
    if (!got.ok) t.equal(versionless(cib), before, 'the CIB is untouched on error');

    // A documented difference is asserted too, so it cannot go stale silently.
    const sameOutcome = got.ok === (p.exit === 0);
    const unlike = problems.map(rendered).filter((m) => !p.stderr.includes(m));
    if (c.differs) {
      t.ok(!sameOutcome || unlike.length > 0, `berth differs from pcs on purpose: ${c.differs}\npcs: ${p.stderr}`);
      return;
    }
    t.ok(sameOutcome, `succeeds or fails as pcs did; pcs said:\n${p.stderr}`);
    if (got.ok) t.equal(versionless(cib), versionless(parseCib(read(`${c.name}.expected.xml`))), 'same CIB as pcs');
    if (c.messageDiffers) {
      t.not(unlike.length, 0, `berth words it differently on purpose: ${c.messageDiffers}\npcs: ${p.stderr}`);
      return;
    }
    t.strictSame(unlike, [], `pcs says it the same way\npcs: ${p.stderr}`);
    t.equal(problems.filter((x) => x.severity === 'error').length, pcsLines(p.stderr, /^Error: /).length, 'as many errors as pcs');
    t.equal(problems.filter((x) => x.severity === 'warning').length, pcsLines(p.stderr, /^(Deprecation )?Warning: /).length, 'as many warnings as pcs');
    t.strictSame((got.ok ? got.notes : []).filter((n) => !p.stderr.includes(n)), [], 'pcs notes them too');
  });
}

// ---- what the installed agents cannot show: a fake catalog ----

const FAKE_OCF_1_1 = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Fake" version="1">
  <version>1.1</version>
  <parameters>
    <parameter name="address" required="1"><deprecated><replaced-with name="ip"/></deprecated><content type="string"/></parameter>
    <parameter name="ip" required="1" unique-group="net"><content type="string"/></parameter>
    <parameter name="port" unique-group="net"><content type="integer" default="80"/></parameter>
    <parameter name="name" required="1"><content type="string"/></parameter>
    <parameter name="label" required="1"><content type="string"/></parameter>
    <parameter name="old"><deprecated/><content type="string"/></parameter>
  </parameters>
  <actions>
    <action name="start" timeout="20s"/>
    <action name="stop" timeout="20s"/>
    <action name="monitor" timeout="20s" interval="10s" role="Master"/>
    <action name="monitor" timeout="20s" interval="10s" role="Slave"/>
    <action name="custom" timeout="5s" interval="0" start-delay="3s"/>
    <action name="meta-data" timeout="5s"/>
  </actions>
</resource-agent>`;

const fakeCatalog: AgentCatalog = {
  metadataXml: (n) => (n.standard === 'ocf' && n.provider === 'acme' && n.type === 'Fake' ? { xml: FAKE_OCF_1_1 } : { error: 'not here' }),
  list: () => [{ standard: 'ocf', provider: 'acme', types: ['Fake'] }],
};

const emptyCib = () => parseCib(read('apache-plain.input.xml'));

function createWith(cib: Cib, args: string[], flags: string[] = []): Outcome {
  try {
    const r = createResource(cib, parseResourceCreateArgs(args, flagsOf(flags)), fakeCatalog);
    return { ok: true, warnings: r.warnings, notes: r.notes ?? [] };
  } catch (e) {
    if (e instanceof BerthError) return { ok: false, problems: e.problems };
    throw e;
  }
}

const messages = (o: Outcome) => (o.ok ? o.warnings : o.problems).map((p) => `${p.severity} ${p.code} ${p.message}`);

const MONITOR = ['op', 'monitor', 'interval=30s'];

t.test('required parameters with deprecated alternatives, deprecated parameters (fake OCF 1.1 agent)', async (t) => {
  const table: { args: string[]; flags?: string[]; expect: string[] }[] = [
    {
      args: ['f', 'ocf:acme:Fake'],
      expect: ["error OPTION_REQUIRED resource option 'ip' or 'address' (deprecated) has to be specified", "error OPTION_REQUIRED required resource options 'label', 'name' are missing"],
    },
    {
      args: ['f', 'ocf:acme:Fake', 'address=1.2.3.4', 'name=n', 'label=l', 'old=1'],
      expect: ["warning OPTION_DEPRECATED resource option 'address' is deprecated and should not be used, use 'ip' instead", "warning OPTION_DEPRECATED resource option 'old' is deprecated and should not be used, use  instead"],
    },
    { args: ['f', 'ocf:acme:Fake', 'ip=1.2.3.4', 'name=n', 'label=l'], expect: [] },
    { args: ['f', 'ocf:acme:Fake', 'ip=1.2.3.4', 'name=n'], flags: ['--force'], expect: ["warning OPTION_REQUIRED required resource option 'label' is missing"] },
    { args: ['f', 'Fake', 'ip=1.2.3.4', 'name=n', 'label=l'], expect: [] },
  ];
  // a user monitor op replaces the agent's two monitors, whose equal intervals would add a warning
  for (const row of table) t.same(messages(createWith(emptyCib(), [...row.args, ...MONITOR], row.flags)), row.expect, row.args.join(' '));
});

t.test('unique groups of several parameters compare all of them', async (t) => {
  const cib = emptyCib();
  t.same(messages(createWith(cib, ['f1', 'ocf:acme:Fake', 'ip=10.0.0.1', 'port=80', 'name=a', 'label=l', ...MONITOR])), []);
  t.same(messages(createWith(cib, ['f2', 'ocf:acme:Fake', 'ip=10.0.0.1', 'port=81', 'name=b', 'label=l', ...MONITOR])), [], 'another port: unique');
  t.same(messages(createWith(cib, ['f3', 'ocf:acme:Fake', 'ip=10.0.0.1', 'port=80', 'name=c', 'label=l', ...MONITOR])), [
    "error OPTION_INVALID_VALUE Value '10.0.0.1', '80' of options 'ip', 'port' (group 'net') is not unique across 'ocf:acme:Fake' resources. Following resources are configured with the same values of the instance attributes: 'f1'",
  ]);
});

t.test('default operations: legacy roles translated, same intervals of one name adapted, start-delay kept, bare type guessed', async (t) => {
  const cib = emptyCib();
  const r = createWith(cib, ['f', 'Fake', 'ip=1', 'name=n', 'label=l']);
  t.same(messages(r), ['warning RESOURCE_OP_INVALID changing a monitor operation interval from 10s to 11 to make the operation unique']);
  t.same(r.ok && r.notes, ["Assumed agent name 'ocf:acme:Fake' (deduced from 'Fake')"]);
  const prim = elements(child(child(cib, 'configuration')!, 'resources')!, 'primitive')[0];
  const ops = elements(child(prim, 'operations')!, 'op').map((o) => o.attrs);
  t.same(ops, [
    { name: 'custom', interval: '0', timeout: '5s', 'start-delay': '3s', id: 'f-custom-interval-0' },
    { name: 'monitor', interval: '10s', timeout: '20s', role: 'Promoted', id: 'f-monitor-interval-10s' },
    { name: 'monitor', interval: '11', timeout: '20s', role: 'Unpromoted', id: 'f-monitor-interval-11' },
    { name: 'start', interval: '0s', timeout: '20s', id: 'f-start-interval-0s' },
    { name: 'stop', interval: '0s', timeout: '20s', id: 'f-stop-interval-0s' },
  ]);
});

t.test('an earlier stage keeps its warnings when a later one fails', async (t) => {
  const r = createWith(emptyCib(), ['x', 'ocf:acme:Missing', 'bundle', 'nope'], ['--force']);
  t.same(messages(r), ["warning AGENT_UNKNOWN Agent 'ocf:acme:Missing' is not installed or does not provide valid metadata: not here", "error ID_NOT_FOUND bundle 'nope' does not exist"]);
});

t.test('on-fail=demote needs schema 3.4', async (t) => {
  const cib = emptyCib();
  cib.attrs['validate-with'] = 'pacemaker-3.2';
  const r = createWith(cib, ['f', 'ocf:acme:Fake', 'ip=1', 'name=n', 'label=l', 'op', 'monitor', 'interval=5', 'on-fail=demote']);
  t.same(r.ok ? [] : r.problems.map((p) => p.code), ['OPTION_PREREQUISITE']);
});

t.test('berth refuses what it does not create', async (t) => {
  const table: [string[], Record<string, boolean | string>, string][] = [
    [['d', 'ocf:heartbeat:Dummy'], { group: 'g' }, 'USAGE'],
    [['d', 'ocf:heartbeat:Dummy'], { before: true }, 'USAGE'],
    [['d', 'ocf:heartbeat:Dummy'], { 'agent-validation': true }, 'USAGE'],
    [['d', 'ocf:heartbeat:Dummy', 'clone', 'c1'], {}, 'USAGE'],
  ];
  for (const [args, extra, code] of table) {
    const flags = flagsOf([], extra);
    let thrown: unknown;
    try {
      parseResourceCreateArgs(args, flags);
    } catch (e) {
      thrown = e;
    }
    t.match(thrown, { problems: [{ code }] }, `${args.join(' ')} ${JSON.stringify(extra)}`);
  }
});

t.test("pcs's timeout_to_seconds", async (t) => {
  const table: [string, number | undefined][] = [
    ['10', 10], [' 10 ', 10], ['+7', 7], ['1_000', 1000], ['-0', 0], ['-5', undefined], ['10s', 10], ['10sec', 10],
    ['2m', 120], ['2min', 120], ['1h', 3600], ['1hr', 3600], ['10ms', undefined], ['s', undefined], ['abc', undefined], ['', undefined],
  ];
  for (const [input, want] of table) t.equal(timeoutToSeconds(input), want, JSON.stringify(input));
});

// `berth cluster simulate`: flags → a CIB and the changes → src/controller/simulate.ts → text in
// crm_simulate's layout, or --json.
import { BerthError, problem } from '../errors/registry';
import type { Command, Invocation } from './invocation';
import { flagList, flagString } from './invocation';
import { renderProblems, paintStates } from './render';
import { lazy } from './lazy';
import type { Simulation, TransitionAction } from '../controller/simulate';
import type { Cib } from '../cib/cib';

export const simulateHelp = `Usage: berth cluster simulate [-f FILE | --store URL] [--node-up NODE]... [--node-down NODE]...
                              [--node-fail NODE]... [--op-fail RSC_OP_INTERVAL@NODE=RC]...
                              [--set-datetime DATETIME] [--show-scores] [--json]

What the cluster would do, as crm_simulate shows it: the cluster as the CIB describes it (its
nodes; node states and running replicas from its <status> section, as Pacemaker records them),
the changes asked for, the transition (Start, Stop, Move, Recover, Restart of each replica) and the cluster
after it. It places with the controller's own placement step and counts failures as the
controller does, so its answer is the controller's. Nothing is changed.

A CIB without node states (berth's live CIB holds none: the controllers observe the nodes) has
every node online and nothing running: the answer is where everything would go from scratch.

Flags:
  -f FILE               the CIB file (XML or JSON); without -f, the live CIB
  --store URL           the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth)
  --node-up NODE        bring NODE online (repeat, or a comma list)
  --node-down NODE      take NODE offline cleanly: its replicas start elsewhere
  --node-fail NODE      NODE fails: fenced, its replicas start elsewhere
  --op-fail RSC_OP_INTERVAL@NODE=RC
                        a failed operation of a replica, as crm_simulate takes it: web-0 or its
                        container resource web-docker-0, start or monitor, e.g.
                        web-docker-0_monitor_30000@node1=7. Each counts one failure on NODE; at
                        the bundle's migration-threshold the replica is kept off NODE, below it it
                        recovers in place
  --set-datetime DATETIME  the clock for date rules and failure-timeout (ISO 8601; default now)
  --show-scores         the allocation scores behind each choice, as crm_simulate --show-scores
  --json                the simulation as data

Examples:
  berth -f cib.xml cluster simulate --node-fail node2
  berth -f cib.xml cluster simulate --op-fail web-docker-0_monitor_30000@node1=7 --show-scores
  berth cluster cib > now.xml && berth -f now.xml cluster simulate --node-down node3 --json

Exit codes: 0 nothing would change, 1 the transition has actions (as 'berth plan'), 2 error
  (unreadable or invalid CIB, an unknown node or replica, bad arguments).
`;

async function readCib(inv: Invocation): Promise<Cib> {
  const { parseCib } = lazy.cib();
  if (inv.flags.file !== undefined) {
    const file = String(inv.flags.file);
    const { readTextFile } = lazy.cibFile();
    return parseCib(readTextFile(file), file);
  }
  const { openStore } = lazy.storeOpen();
  const store = openStore(flagString(inv.flags, 'store'));
  try {
    return parseCib((await store.read()).text, 'the live CIB');
  } finally {
    await store.close();
  }
}

export const simulateCmd: Command = async (inv) => {
  if (inv.args.length) throw new BerthError([problem('USAGE', { value: inv.args[0], message: `unexpected argument '${inv.args[0]}': berth cluster simulate takes flags only` })]);
  let now = Date.now();
  const when = flagString(inv.flags, 'set-datetime');
  if (when !== undefined) {
    const { parseRuleDate } = lazy.schedulerPlacement();
    const t = parseRuleDate(when);
    if (t === undefined) throw new BerthError([problem('USAGE', { path: '--set-datetime', value: when, allowed: 'an ISO 8601 date and time, e.g. 2026-12-06T10:00:00Z', message: `'${when}' is not a date and time; use ISO 8601, e.g. 2026-12-06T10:00:00Z` })]);
    now = t;
  }
  const cib = await readCib(inv);
  const { checkCib } = lazy.validateCib();
  const errors = checkCib(cib).filter((p) => p.severity === 'error');
  if (errors.length) {
    renderProblems(errors, inv.io, !!inv.flags.json);
    if (!inv.flags.json) inv.io.err('The CIB is invalid: nothing is simulated.\n');
    return 2;
  }
  const sim = lazy.controllerSimulate();
  const { readModel } = lazy.modelModel();
  const model = readModel(cib);
  const opFail = flagList(inv.flags, 'op-fail').map((spec) => sim.parseOperationFailure(spec, model));
  const bad = opFail.filter((x): x is import('../errors/registry').Problem => 'code' in x);
  if (bad.length) throw new BerthError(bad);
  const result = sim.simulate(cib, {
    up: flagList(inv.flags, 'node-up'), down: flagList(inv.flags, 'node-down'), fail: flagList(inv.flags, 'node-fail'),
    opFail: opFail as import('../controller/simulate').OperationFailure[], now,
  }, { scores: !!inv.flags['show-scores'], model });
  if (inv.flags.json) inv.io.out(JSON.stringify(simulationJson(result), null, 2) + '\n');
  else {
    if (result.problems.length) renderProblems(result.problems, inv.io, false);
    inv.io.out(paintStates(formatSimulation(result), inv.io));
  }
  return result.actions.length ? 1 : 0;
};

function simulationJson(s: Simulation) {
  return {
    nodes: s.nodes,
    before: s.before,
    modifications: s.modifications,
    actions: s.actions,
    after: Object.fromEntries([...s.after].sort(([a], [b]) => (a < b ? -1 : 1))),
    unplaced: s.unplaced,
    bans: s.bans,
    ...(s.scores ? { scores: { bundles: mapJson(s.scores.bundles), replicas: mapJson(s.scores.replicas) } } : {}),
    notes: s.notes,
    problems: s.problems,
  };
}

const mapJson = (m: Map<string, Map<string, number>>) => Object.fromEntries([...m].map(([k, v]) => [k, Object.fromEntries(v)]));

function nodeList(s: Simulation, when: 'before' | 'after'): string {
  const by = (state: string) => s.nodes.filter((n) => n[when] === state).map((n) => n.name);
  const lines = [['Online', by('online')], ['Standby', by('standby')], ['OFFLINE', by('offline')]]
    .filter(([, list]) => list.length)
    .map(([label, list]) => `    * ${label}: [ ${(list as string[]).join(' ')} ]`);
  return `  * Node List:\n${lines.join('\n') || '    (no nodes)'}\n`;
}

function replicaList(s: Simulation, where: Map<string, { node: string; failed: boolean }>): string {
  const out: string[] = ['  * Full List of Resources:'];
  for (const b of s.model.bundles) {
    out.push(`    * Container bundle set: ${b.settings.id} [${b.settings.image}]:`);
    for (let i = 0; i < Math.max(b.settings.replicas, ...[...where.keys()].filter((r) => r.startsWith(`${b.settings.id}-`)).map((r) => Number(r.slice(b.settings.id.length + 1)) + 1)); i++) {
      const name = `${b.settings.id}-${i}`;
      const at = where.get(name);
      out.push(`      * ${name}\t${at ? `${at.failed ? 'FAILED' : 'Started'} ${at.node}` : 'Stopped'}`);
    }
  }
  return out.join('\n') + '\n';
}

const ACTION_WORD: Record<TransitionAction['action'], string> = { start: 'Start', stop: 'Stop', move: 'Move', recover: 'Recover', restart: 'Restart' };

export function formatSimulation(s: Simulation): string {
  const before = new Map(s.before.map((r) => [r.replica, { node: r.node, failed: r.failed }]));
  const after = new Map([...s.after].map(([r, node]) => [r, { node, failed: false }]));
  const width = Math.max(8, ...s.actions.map((a) => a.replica.length));
  const actionLine = (a: TransitionAction) => {
    const where = a.action === 'move' ? `( ${a.from} -> ${a.to} )` : `( ${a.node} )`;
    const why = a.reason ? `  ${a.reason}` : '';
    const waits = (a.waits ?? []).map((w) => `\n      waits: ${w.message}`).join('');
    return `  * ${ACTION_WORD[a.action].padEnd(10)} ${a.replica.padEnd(width)}  ${where}${why}${waits}`;
  };
  const parts = [
    ...s.notes.map((n) => `Note: ${n}\n\n`),
    `Current cluster status:\n${nodeList(s, 'before')}\n${replicaList(s, before)}\n`,
    ...(s.modifications.length ? [`Performing requested modifications:\n${s.modifications.map((m) => `  * ${m}`).join('\n')}\n\n`] : []),
    ...(s.scores ? [`Allocation scores:\n${lazyScores(s)}\n`] : []),
    `Transition Summary:\n${s.actions.length ? s.actions.map(actionLine).join('\n') : '  (nothing to do)'}\n`,
    ...(s.unplaced.length ? [`\nNot placed:\n${s.unplaced.map((u) => `  * ${u.bundle}-${u.index}: ${u.reason}`).join('\n')}\n`] : []),
    `\nRevised Cluster Status:\n${nodeList(s, 'after')}\n${replicaList(s, after)}`,
  ];
  return parts.join('');
}

function lazyScores(s: Simulation): string {
  const { formatAllocationScores } = lazy.schedulerPlacement();
  return formatAllocationScores(s.scores!).split('\n').filter(Boolean).map((l) => `  ${l}`).join('\n') + '\n';
}

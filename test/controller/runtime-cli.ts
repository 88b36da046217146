// The runtime commands' flag handling, as the CLI parses argv (no engine is contacted: the CIB is
// invalid or the arguments are, so nothing gets past validation).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgv } from '../../src/cli/argv';
import { applyCmd, applyHelp, controllerHelp, planCmd, planHelp, statusHelp } from '../../src/cli/runtime-commands';
import type { Command, Io } from '../../src/cli/invocation';
import { BerthError } from '../../src/errors/registry';

async function run(cmd: Command, argv: string[]) {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s; }, err: (s) => { err += s; } };
  try {
    const { args, flags } = parseArgv(argv);
    return { code: await cmd({ args, flags, io }), out, err };
  } catch (e) {
    if (e instanceof BerthError) return { code: -1, out, err, problems: e.problems };
    throw e;
  }
}

t.test('an invalid CIB: plan and apply exit 2 with the problems, nothing applied', async (t) => {
  const dir = t.testdir({});
  const cib = path.join(dir, 'cib.xml');
  writeFileSync(cib, `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources>
    <bundle id="b"><docker image="i" replicas="2" options="--volume /x:/y"/></bundle></resources><constraints/></configuration><status/></cib>`);
  // `--cib FILE` as two words (the value arrives among the positional words) and `--cib=FILE`.
  const a = await run(planCmd, ['plan', '--cib', cib, '--node', 'n1', '--state-dir', dir]);
  t.equal(a.code, 2);
  t.match(a.err, /'--volume' is not a supported docker option \(use storage-map\).*\[DOCKER_OPTION_UNSUPPORTED/);
  const b = await run(applyCmd, ['apply', `--cib=${cib}`, `--state-dir=${dir}`, '--json']);
  t.equal(b.code, 2);
  t.match(JSON.parse(b.err), { problems: [{ code: 'DOCKER_OPTION_UNSUPPORTED', value: '--volume' }] });
  const missing = await run(planCmd, ['plan', '--cib', path.join(dir, 'nope.xml'), '--state-dir', dir]);
  t.equal(missing.code, 2);
  t.match(missing.err, /FILE_NOT_FOUND/);
});

t.test('usage errors', async (t) => {
  t.match(await run(planCmd, ['plan', '--cib']), { code: -1, problems: [{ code: 'USAGE', path: '--cib' }] });
  t.match(await run(planCmd, ['plan', '--cib=x.xml', 'extra']), { code: -1, problems: [{ code: 'USAGE', value: 'extra' }] });
  t.match(await run(applyCmd, ['apply', '--cib=x.xml', '--timeout=soon']), { code: 2, err: /'soon' is not a valid --timeout, use a number of seconds \[USAGE/ });
});

t.test('help texts name every flag and the exit codes', async (t) => {
  for (const h of [planHelp, applyHelp, statusHelp, controllerHelp]) {
    t.match(h, /^Usage: berth (plan|apply|status|controller)/);
    t.match(h, /--cib FILE/);
    t.match(h, /Exit codes:/);
  }
  t.match(planHelp, /0 nothing to do, 1 changes pending, 2 error/);
});

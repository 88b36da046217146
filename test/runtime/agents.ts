// The catalog of the agents installed on this node (src/runtime/agents.ts), on agents made here.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentFailure, AgentMetadata, AgentName, defaultOperations, loadAgentMetadata } from '../../src/cib/agent';
import { systemCatalog } from '../../src/runtime/agents';

const ocf = (provider: string, type: string): AgentName => ({ standard: 'ocf', provider, type });
const meta = (x: AgentMetadata | AgentFailure): AgentMetadata => {
  if ('kind' in x) throw new Error(`expected metadata, got ${JSON.stringify(x)}`);
  return x;
};

t.test('the system catalog runs OCF agents with their environment, and nothing outside resource.d', async (t) => {
  const root = t.testdir({ 'resource.d': { acme: {}, '.hidden': {} }, 'init.d': { svc: '#!/bin/sh\n', 'not-exec': '' }, outside: '' });
  const agent = (name: string, body: string, mode = 0o755) => {
    const f = path.join(root, 'resource.d', 'acme', name);
    fs.writeFileSync(f, `#!/bin/sh\n${body}\n`);
    fs.chmodSync(f, mode);
  };
  fs.chmodSync(path.join(root, 'init.d', 'svc'), 0o755);
  agent('Env', 'echo "<resource-agent name=\\"$OCF_RESOURCE_TYPE\\"><version>1.1</version><longdesc>$OCF_ROOT $OCF_RA_VERSION_MAJOR.$OCF_RA_VERSION_MINOR $OCF_RESOURCE_PROVIDER $1</longdesc></resource-agent>"');
  agent('Fails', 'echo "broken setup" >&2; exit 3');
  agent('Slow', 'exec sleep 5');
  agent('Silent', 'exit 0');
  agent('NotExec', 'exit 0', 0o644);
  const cat = systemCatalog({ ocfRoot: root, lsbRoot: path.join(root, 'init.d'), timeoutMs: 500 });

  const env = cat.metadataXml(ocf('acme', 'Env'));
  t.match(env, { xml: new RegExp(`<resource-agent name="Env"><version>1.1</version><longdesc>${root} 1.1 acme meta-data</longdesc>`) });
  t.match(cat.metadataXml(ocf('acme', 'Fails')), { error: /exit code 3: broken setup/ });
  t.match(cat.metadataXml(ocf('acme', 'Slow')), { error: /did not finish within 0.5 s/ });
  t.match(cat.metadataXml(ocf('acme', 'Silent')), { error: /printed nothing/ });
  t.match(cat.metadataXml(ocf('acme', 'NotExec')), { error: /not executable/ });
  t.match(cat.metadataXml(ocf('acme', 'nope')), { error: /does not exist/ });
  t.match(cat.metadataXml(ocf('acme', '..')), { error: /does not name a file/ });
  t.match(cat.metadataXml(ocf('..', 'outside')), { error: /does not name a file/ });
  t.match(cat.metadataXml({ standard: 'systemd', type: 'cron' }), { error: /ocf, lsb and service agents only/ });

  const lsb = meta(loadAgentMetadata(cat, { standard: 'lsb', type: 'svc' }));
  t.same(defaultOperations(lsb, false).map((o) => [o.name, o.interval, o.timeout]), [
    ['start', '0s', '15'], ['stop', '0s', '15'], ['restart', '0s', '15'], ['force-reload', '0s', '15'], ['monitor', '15', '15'],
  ], "Pacemaker's generated LSB metadata");
  t.match(loadAgentMetadata(cat, { standard: 'lsb', type: 'nope' }), { kind: 'unavailable', agent: 'lsb:nope' });

  t.same(cat.list(), [
    { standard: 'lsb', types: ['svc'] },
    { standard: 'ocf', provider: 'acme', types: ['Env', 'Fails', 'Silent', 'Slow'] },
    { standard: 'service', types: ['svc'] },
  ], 'executable files only, hidden directories skipped');
});

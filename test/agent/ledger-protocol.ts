// files.writeLedger over the agent protocol: the records the controller writes (stoppedByBerth,
// the replica's name) and the ledger they were computed from (the agent merges with what
// `resource cleanup` changed on its node). Pure: parseRpcRequest only, no server, no engine.
import t from 'tap';
import { parseRpcRequest } from '../../src/agent/protocol';

const req = (args: unknown[]) => parseRpcRequest(Buffer.from(JSON.stringify({ term: 1, op: 'files.writeLedger', args })));
const ledger = { c1: { baseline: 0, extra: 1, count: 1, lastFailureAt: 5, stoppedByBerth: true, replica: 'web-0' } };

t.test('what the controller writes passes; what is not a ledger does not', async (t) => {
  const table: [string, unknown[], boolean][] = [
    ['a ledger', ['c1', ledger], true],
    ['a ledger and the one it was computed from', ['c1', ledger, { c1: { baseline: 0, extra: 0, count: 0 } }], true],
    ['no base (null)', ['c1', ledger, null], true],
    ['a record with an unknown field', ['c1', { c1: { baseline: 0, extra: 0, count: 0, other: 1 } }], false],
    ['stoppedByBerth not a boolean', ['c1', { c1: { baseline: 0, extra: 0, count: 0, stoppedByBerth: 'yes' } }], false],
    ['a base that is not a ledger', ['c1', ledger, { c1: { count: 'x' } }], false],
    ['four arguments', ['c1', ledger, ledger, ledger], false],
    // the retried removals of a container stuck in removal: the chaos run's seed 17 found the
    // agent refusing every ledger write that carried them, and the cluster never converged
    ['a record with its retried removals', ['c1', { c1: { baseline: 0, extra: 0, count: 0, removal: { attempts: 2, lastAt: 1700000000000 } } }], true],
    ['retried removals without lastAt', ['c1', { c1: { baseline: 0, extra: 0, count: 0, removal: { attempts: 2 } } }], false],
    ['retried removals not counted by a number', ['c1', { c1: { baseline: 0, extra: 0, count: 0, removal: { attempts: 'two', lastAt: 1 } } }], false],
  ];
  for (const [name, args, ok] of table) t.equal(req(args).ok, ok, name);
});

// The executor's messages (src/remote/messages.ts) as lrmd_client.c writes and execd_commands.c
// answers them, and the names of results (src/remote/results.ts).
import t from 'tap';
import { parseXml, serializeXmlLine } from '../../src/cib/xml';
import { command, execData, readOpResult, readRecurringOps, readResourceInfo, registerRequest, stamp } from '../../src/remote/messages';
import { execStatusName, ocfResultName } from '../../src/remote/results';

t.test('requests, byte for byte', async (t) => {
  t.equal(serializeXmlLine(stamp(registerRequest('crmd'), 1, 'request')),
    '<lrmd_command t="lrmd" lrmd_op="register" lrmd_clientname="crmd" lrmd_protocol_version="1.1" lrmd_is_ipc_provider="true" lrmd_remote_msg_id="1" lrmd_remote_msg_type="request"/>', 'sign-on');
  const exec = command('tok', 'lrmd_rsc_exec', execData('db', { action: 'monitor', intervalMs: 10_000, timeoutMs: 20_000, userData: 'key', params: { state: '/s', '1st': 'x' } }), 20_000, 4);
  t.equal(serializeXmlLine(exec),
    '<lrmd_command __name__="lrmd_command" t="lrmd" lrmd_async_id="tok" lrmd_op="lrmd_rsc_exec" lrmd_timeout="20000" lrmd_callopt="4"><lrmd_calldata>'
    + '<lrmd_rsc lrmd_origin="lrmd_api_exec" lrmd_rsc_id="db" lrmd_rsc_action="monitor" lrmd_rsc_userdata_str="key" lrmd_rsc_interval="10000" lrmd_timeout="20000" lrmd_rsc_start_delay="0">'
    + '<attributes state="/s"><param name="1st" value="x"/></attributes></lrmd_rsc></lrmd_calldata></lrmd_command>',
    'exec: parameters as attributes, a name starting with a digit as a param child (hash2smartfield)');
});

t.test('answers, as pacemaker-remoted 2.1.5 sends them', async (t) => {
  const notify = parseXml('<lrmd_notify lrmd_origin="send_cmd_complete_notify" lrmd_timeout="20000" lrmd_rsc_interval="1000" lrmd_rsc_start_delay="0" lrmd_exec_rc="7" lrmd_exec_op_status="0" lrmd_callid="9" lrmd_rsc_deleted="0" lrmd_run_time="1780000000" lrmd_rcchange_time="1780000001" lrmd_exec_time="12" lrmd_queue_time="1" lrmd_op="lrmd_rsc_exec" lrmd_rsc_id="dummy" lrmd_rsc_action="monitor" lrmd_rsc_exit_reason="gone" lrmd_rsc_output="line1&#10;line2" lrmd_remote_msg_id="0" lrmd_remote_msg_type="notify"><attributes state="/s"/></lrmd_notify>');
  t.same(readOpResult(notify), {
    callId: 9, rscId: 'dummy', action: 'monitor', intervalMs: 1000, rc: 7, rcName: 'not running', status: 0, statusName: 'done',
    runAt: 1780000000, rcChangedAt: 1780000001, execMs: 12, queueMs: 1, timeoutMs: 20000, resourceDeleted: false, exitReason: 'gone', output: 'line1\nline2',
  });
  t.same(readRecurringOps(parseXml('<lrmd_reply lrmd_rc="0"><lrmd_rsc lrmd_rsc_id="a"><lrmd_rsc_op lrmd_rsc_action="monitor" lrmd_rsc_interval="1000" lrmd_timeout="5000"/></lrmd_rsc><lrmd_rsc lrmd_rsc_id="b"/></lrmd_reply>')),
    [{ rscId: 'a', action: 'monitor', intervalMs: 1000, timeoutMs: 5000 }]);
  t.same(readResourceInfo(parseXml('<lrmd_reply lrmd_rc="0" lrmd_rsc_id="a" lrmd_class="ocf" lrmd_provider="pacemaker" lrmd_type="Dummy"/>')), { id: 'a', class: 'ocf', provider: 'pacemaker', type: 'Dummy' });
  t.equal(readResourceInfo(parseXml('<lrmd_reply lrmd_rc="-19"/>')), undefined, 'ENODEV: not registered');
});

t.test('names of results', async (t) => {
  t.same([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 190, 191, 42].map(ocfResultName), [
    'ok', 'generic error', 'invalid argument', 'unimplemented feature', 'insufficient privileges', 'not installed', 'not configured',
    'not running', 'running promoted', 'failed promoted', 'degraded', 'degraded promoted', 'unknown exit code 42']);
  t.same([-1, 0, 1, 2, 3, 4, 5, 6, 7, 99].map(execStatusName), [
    'pending', 'done', 'cancelled', 'timed out', 'not supported', 'error', 'hard error', 'fatal error', 'not installed', 'unknown status 99']);
});

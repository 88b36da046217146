// A configured fence action (`--fence-command`): a shell command that powers a node off (a PDU,
// IPMI, a hypervisor's API). It gets the node's name as its argument and in BERTH_FENCE_NODE; exit
// 0 confirms the node is off, anything else (or no answer within the timeout) does not, and then
// only the node's lease running out lets its replicas move.
import { spawn } from 'node:child_process';
import { problem } from '../errors/registry';

export const FENCE_TIMEOUT_MS = 30_000;

export function runFenceCommand(command: string, node: string, log: (line: string) => void, timeoutMs = FENCE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    log(`fencing node ${node}: ${command} ${node}`);
    const child = spawn('/bin/sh', ['-c', `${command} "$BERTH_FENCE_NODE"`], { env: { ...process.env, BERTH_FENCE_NODE: node }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => { output = (output + d.toString()).slice(-2000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { output += e.message; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ok = code === 0;
      if (ok) log(`node ${node} fenced by the fence command`);
      else {
        const p = problem('FENCE_FAILED', { path: node, value: signal ?? String(code), message: `the fence command for node ${node} ${signal ? `was killed (${signal}) after ${timeoutMs} ms` : `exited ${code}`}${output.trim() ? `: ${output.trim()}` : ''}; waiting for its lease to end instead` });
        log(`[${p.code}] ${p.message}`);
      }
      resolve(ok);
    });
  });
}

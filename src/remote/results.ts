// What an operation's result means: the OCF exit codes (enum ocf_exitcode) and the executor's
// execution statuses (enum pcmk_exec_status), as include/crm/common/results.h of Pacemaker 2.1.5
// numbers and names them. Pure.

/** OCF exit codes an agent returns (and the executor reports as lrmd_exec_rc). */
export const OCF_RESULTS = {
  0: 'ok',
  1: 'generic error',
  2: 'invalid argument',
  3: 'unimplemented feature',
  4: 'insufficient privileges',
  5: 'not installed',
  6: 'not configured',
  7: 'not running',
  8: 'running promoted',
  9: 'failed promoted',
  190: 'degraded',
  191: 'degraded promoted',
  193: 'pending',
} as const satisfies Record<number, string>;

export type OcfRc = keyof typeof OCF_RESULTS;

/** The name of an OCF exit code; a code outside the table is named by its number. */
export function ocfResultName(rc: number): string {
  return (OCF_RESULTS as Record<number, string>)[rc] ?? `unknown exit code ${rc}`;
}

/** The executor's view of how an operation went, apart from what the agent returned. */
export const EXEC_STATUSES = {
  [-1]: 'pending',
  0: 'done',
  1: 'cancelled',
  2: 'timed out',
  3: 'not supported',
  4: 'error',
  5: 'hard error',
  6: 'fatal error',
  7: 'not installed',
  8: 'not connected',
  9: 'invalid',
  10: 'no fence device',
  11: 'no secrets',
} as const satisfies Record<number, string>;

export type ExecStatusName = (typeof EXEC_STATUSES)[keyof typeof EXEC_STATUSES];

export function execStatusName(status: number): ExecStatusName | `unknown status ${number}` {
  return (EXEC_STATUSES as Record<number, ExecStatusName>)[status] ?? `unknown status ${status}`;
}

/** The statuses by name, for callers that branch on them. */
export const EXEC = { PENDING: -1, DONE: 0, CANCELLED: 1, TIMEOUT: 2, NOT_SUPPORTED: 3, ERROR: 4, ERROR_HARD: 5, ERROR_FATAL: 6, NOT_INSTALLED: 7 } as const;

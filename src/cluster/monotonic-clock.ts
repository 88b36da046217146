// The clock every lease, timeout and deadline of the cluster is counted on: CLOCK_MONOTONIC, which
// a step of the wall clock (NTP, an operator, a VM resumed) does not move, and which on Linux is
// the same in every process of one boot (the agent, its fence guard, the controller and its
// heartbeat process compare times across processes). Wall time is for display, for CIB times
// (rule dates, failure-timeout) and for the signed requests' age check only.

/** Milliseconds on CLOCK_MONOTONIC. */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

// What bench/scale.mjs needs, in one module it can bundle: the in-memory cluster the tests use (one
// process stands in for many nodes: each node's engine keeps its containers, addresses and files in
// memory) and the cluster status view.
export { fakeCluster, runningCopies, wipe } from './fake-nodes';
export { clusterStatus } from '../../src/reconcile/status';
export { planChanges } from '../../src/reconcile/plan';

// What bench/scale.mjs needs, in one module it can bundle: the in-memory cluster the tests use (one
// process stands in for many nodes: each node's engine keeps its containers, addresses and files in
// memory), the cluster status view, and the status page fed from the passes (bench/ui.mjs).
export { fakeCluster, runningCopies, wipe } from './fake-nodes';
export { clusterStatus } from '../../src/reconcile/status';
export { planChanges } from '../../src/reconcile/plan';
// bench/ui.mjs: the status page of a controller, fed from the in-memory cluster's passes.
export { startControllerPage } from '../../src/ui/controller-page';
export { uiToken } from '../../src/ui/auth';

// One reconcile pass, the shell around the pure core: read the CIB → validate → desired state →
// observe → plan → (apply). Level-triggered: a pass never looks at what woke it, it compares the
// whole desired state with the whole observed state. An invalid CIB is never applied: a caller
// that has a last good CIB (the controller) goes on with it and reports; others stop here.
import { readFileSync } from 'node:fs';
import { Cib, parseCib, toJson } from '../cib/cib';
import { BerthError, Problem, hasErrors, problem } from '../errors/registry';
import { cibProblems } from '../validate/cib-rules';
import { DesiredState, desiredState } from '../reconcile/desired';
import type { ContainerRun, ObservedState } from '../reconcile/observed';
import { DEFAULT_POLICY, Plan, PlanPolicy, computePlan } from '../reconcile/plan';
import { ApplyDeps, ApplyReport, applyPlan } from './apply';
import { observe } from './observe';

/** Where the desired CIB comes from: a file (--cib) or the live store. */
export interface CibSource {
  readonly where: string;
  read(): Promise<string>;
  /** Calls back after each change; returns a stop function. */
  watch?(onChange: () => void): () => void;
  close?(): Promise<void>;
}

export interface PassDeps extends ApplyDeps {
  node: string;
  cib: CibSource;
  /** every node that can run replicas (default: this one) */
  nodes?: readonly string[];
  now: () => number;
  policy?: PlanPolicy;
  stopTimeoutSeconds?: number;
  /** for --env-file in options; default: the local file system */
  readFile?: (path: string) => string;
  lookupEnv?: (name: string) => string | undefined;
}

export interface PassOptions {
  apply: boolean;
  /** the last CIB that was valid: used (and the problems reported) when the current one is not */
  lastGood?: Cib;
  inspect?: 'all' | 'suspects';
  cache?: Map<string, ContainerRun>;
}

export interface PassResult {
  /** problems of the CIB as read; errors among them mean it was not used */
  cibProblems: Problem[];
  /** the CIB used: the one read, or the last good one */
  cib?: Cib;
  usedLastGood: boolean;
  desired?: DesiredState;
  observed?: ObservedState;
  plan?: Plan;
  applied?: ApplyReport;
}

export async function readValidCib(source: CibSource): Promise<{ cib?: Cib; problems: Problem[] }> {
  let text: string;
  try {
    text = await source.read();
  } catch (e) {
    if (e instanceof BerthError) return { problems: e.problems };
    return { problems: [problem('FILE_NOT_FOUND', { path: source.where, message: `cannot read the CIB from ${source.where}: ${(e as Error).message}` })] };
  }
  let cib: Cib;
  try {
    cib = parseCib(text, source.where);
  } catch (e) {
    if (e instanceof BerthError) return { problems: e.problems };
    throw e;
  }
  // The schema (as `berth cib validate` checks it) and the semantic rules: both must pass.
  const { schemaProblems } = require('../cib/schema') as typeof import('../cib/schema');
  const problems = [...schemaProblems(toJson(cib), source.where), ...cibProblems(cib)];
  return hasErrors(problems) ? { problems } : { cib, problems };
}

export async function runPass(deps: PassDeps, opts: PassOptions): Promise<PassResult> {
  const read = await readValidCib(deps.cib);
  const cib = read.cib ?? opts.lastGood;
  const result: PassResult = { cibProblems: read.problems, usedLastGood: !read.cib && !!cib };
  if (!cib) return result;
  result.cib = cib;
  const now = deps.now();
  const desired = desiredState(cib, deps.node, {
    stateDir: deps.files.stateDir,
    readFile: deps.readFile ?? ((p) => readFileSync(p, 'utf8')),
    lookupEnv: deps.lookupEnv ?? ((n) => process.env[n]),
    ...(deps.nodes ? { nodes: deps.nodes } : {}),
  });
  result.desired = desired;
  const observed = await observe(deps, desired, { inspect: opts.inspect ?? 'suspects', now, ...(opts.cache ? { cache: opts.cache } : {}) });
  result.observed = observed;
  const plan = computePlan(desired, observed, now, deps.policy ?? DEFAULT_POLICY);
  result.plan = plan;
  if (opts.apply) {
    result.applied = await applyPlan(plan, deps, { ledger: observed.ledger, ...(deps.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: deps.stopTimeoutSeconds } : {}) });
  }
  return result;
}

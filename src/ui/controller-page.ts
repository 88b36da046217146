// The status page of a cluster controller: the hub fed from the controller's state, the listener,
// and the actions bound to the controller's CIB and its cleanup. `berth controller --ui-listen`
// starts it before the controller (whose status then names the page) and binds it after.
import type { CibSource } from '../controller/pass';
import type { CibStore } from '../store/store';
import type { ClusterController, ControllerState } from '../cluster/cluster-controller';
import { BerthError, problem } from '../errors/registry';
import { GitopsState, readState, stateKey } from '../gitops/state';
import { Sessions, uiToken } from './auth';
import { UiHub } from './hub';
import { startUiServer } from './server';
import type { UiInputs } from './snapshot';

export interface ControllerPageOptions {
  listen: { host: string; port: number };
  /** the cluster authkey: the page's token is derived from it */
  key: Buffer;
  /** the password of --ui-password-file */
  password?: string;
  /** --ui-actions */
  actions: boolean;
  cib: CibSource;
  /** where GitOps keeps its record (the live CIB's store) */
  store?: CibStore;
  /** the controller's URL (its --advertise) */
  self: string;
  log: (line: string) => void;
  now?: () => number;
  /** how often the GitOps record is read (ms) */
  gitopsEveryMs?: number;
}

export interface ControllerPage {
  url: string;
  hub: UiHub;
  onState(s: ControllerState): void;
  bind(c: Pick<ClusterController, 'cleanup'>): void;
  close(): Promise<void>;
}

/** The page's inputs from the controller's state. */
export function pageInputs(s: ControllerState, gitops: GitopsState | null, now: number): UiInputs {
  const m = s.membership;
  const r = s.pass?.result;
  return {
    cluster: s.cluster,
    controller: m.controller.url,
    leading: m.leading,
    term: m.term,
    leader: m.leader?.url ?? null,
    nodes: m.nodes,
    ...(s.pass && r ? {
      pass: {
        number: s.pass.number,
        at: s.pass.at,
        status: s.pass.status(),
        plans: r.nodes.map((n) => ({ node: n.node, plan: n.plan, ...(n.applied ? { applied: n.applied } : {}) })),
        held: r.held,
        unplaced: r.unplaced,
        ...(r.cib?.attrs.epoch !== undefined ? { epoch: `${r.cib.attrs.admin_epoch ?? '0'}.${r.cib.attrs.epoch}` } : {}),
      },
    } : {}),
    gitops,
    now,
  };
}

export async function startControllerPage(o: ControllerPageOptions): Promise<ControllerPage> {
  const now = o.now ?? (() => Date.now());
  const hub = new UiHub(now);
  let controller: Pick<ClusterController, 'cleanup'> | undefined;
  let gitops: { key: string; value: GitopsState | null } = { key: '', value: null };
  const readGitops = async () => {
    if (!o.store) return;
    try {
      const g = await readState(o.store, stateKey());
      const value = g.source ? g : null;
      gitops = { key: value ? JSON.stringify([value.applied?.revision, value.last, value.lastError, value.drift, value.suspended]) : '', value };
    } catch (e) {
      o.log(`status page: cannot read the GitOps record: ${(e as Error).message}`);
    }
  };
  void readGitops();
  const gitopsTimer = setInterval(() => void readGitops(), o.gitopsEveryMs ?? 5000);
  const edit = o.cib.edit;
  const server = await startUiServer({
    host: o.listen.host,
    port: o.listen.port,
    hub,
    sessions: new Sessions([uiToken(o.key), ...(o.password ? [o.password] : [])], now),
    actions: o.actions,
    log: o.log,
    deps: {
      cibFlag: o.cib.where.startsWith('/') || !o.cib.where.includes('://') ? `-f ${o.cib.where}` : `--store ${o.cib.where}`,
      controller: o.self,
      edit: async (cmd, args, flags) => {
        if (!edit) throw new BerthError([problem('UI_ACTIONS_DISABLED', { path: 'cib', value: o.cib.where, message: `the CIB from ${o.cib.where} cannot be edited from the page` })]);
        return edit(cmd, args, flags);
      },
      cleanup: async (req) => {
        if (!controller) throw new BerthError([problem('NOT_LEADER', { path: 'controller', value: o.self, message: 'the controller is starting' })]);
        return controller.cleanup(req);
      },
    },
  });
  return {
    url: server.url,
    hub,
    onState: (s) => {
      const p = s.pass;
      const key = `${JSON.stringify(s.membership.nodes)}|${s.membership.term}|${s.membership.leader?.url}|${p ? p.key : '-'}|${gitops.key}`;
      hub.offer(key, () => pageInputs(s, gitops.value, now()));
    },
    bind: (c) => { controller = c; },
    close: async () => {
      clearInterval(gitopsTimer);
      await server.close();
    },
  };
}

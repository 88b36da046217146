// `berth cluster cib [FILE]` and `berth cluster cib-push FILE [diff-against=ORIG] [--config]`,
// and the live-CIB path of the edit commands (no -f): all through the store (--store / BERTH_STORE).
import { parseCib } from '../cib/cib';
import { readTextFile, writeCibFile } from '../cib/cib-file';
import { BerthError, problem } from '../errors/registry';
import { Command, Flags, Invocation, editFlags, flagString } from './invocation';
import { reportEdit } from './render';
import type { CibStore } from '../store/store';
import type { EditCommand, ReadCommand } from '../commands/edit';
import { lazy } from './lazy';

export function storeFor(flags: Flags): CibStore {
  const { openStore } = lazy.storeOpen();
  return openStore(flagString(flags, 'store'));
}

async function withStore<T>(flags: Flags, fn: (s: CibStore) => Promise<T>): Promise<T> {
  const store = storeFor(flags);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export const clusterCibCmd: Command = (inv) =>
  withStore(inv.flags, async (store) => {
    if (inv.args.length > 1) throw new BerthError([problem('USAGE', { message: `expected at most one FILE, got ${inv.args.length}` })]);
    const { text } = await store.read();
    if (inv.args[0]) writeCibFile(inv.args[0], text);
    else inv.io.out(text);
    return 0;
  });

export const clusterCibPushCmd: Command = (inv) =>
  withStore(inv.flags, async (store) => {
    const files = inv.args.filter((a) => !a.startsWith('diff-against='));
    const against = inv.args.find((a) => a.startsWith('diff-against='))?.slice('diff-against='.length);
    if (files.length !== 1) throw new BerthError([problem('USAGE', { message: `expected exactly one FILE to push, got ${files.length}` })]);
    if (against !== undefined && inv.flags.config) throw new BerthError([problem('USAGE', { message: 'diff-against and --config cannot be used together' })]);
    if (inv.flags.force && (against !== undefined || inv.flags.config)) throw new BerthError([problem('USAGE', { message: '--force (the repair of a corrupt store) pushes a whole CIB: not with diff-against or --config' })]);
    if (against === '') throw new BerthError([problem('USAGE', { path: 'diff-against', message: 'diff-against needs a file: diff-against=ORIGINAL' })]);
    const file = files[0];
    const push = lazy.commandsClusterCib();
    const cib = push.readPushedCib(readTextFile(file), file);
    let r;
    if (against !== undefined) {
      r = await push.pushDiff(store, parseCib(readTextFile(against), against), cib, file);
      if (!r.pushed) {
        inv.io.err(`Nothing to push: ${file} does not differ from ${against}\n`);
        return 0;
      }
    } else if (inv.flags.config) {
      r = await push.pushConfig(store, cib, file);
    } else {
      r = await push.pushWhole(store, cib, file, { repairCorrupt: inv.flags.force === true });
      if (r.replacedCorrupt) inv.io.err(`The corrupt live CIB in ${store.url} was replaced by ${file}\n`);
    }
    if (inv.flags.json) inv.io.out(JSON.stringify({ pushed: true, version: r.version, attempts: r.attempts }) + '\n');
    else inv.io.err(`CIB updated (version ${r.version})\n`);
    return 0;
  });

/** An edit command run against the live CIB (no -f). */
export async function runEditLive(inv: Invocation, edit: EditCommand): Promise<number> {
  return withStore(inv.flags, async (store) => {
    const { editLive } = lazy.commandsClusterCib();
    reportEdit(await editLive(store, edit, inv.args, editFlags(inv.flags)), inv.io);
    return 0;
  });
}

/** A read command run against the live CIB (no -f). */
export function runReadLive(inv: Invocation, read: ReadCommand): Promise<number> {
  return withStore(inv.flags, async (store) => {
    inv.io.out(read({ cib: parseCib((await store.read()).text, 'the live CIB'), args: inv.args, flags: editFlags(inv.flags) }));
    return 0;
  });
}

export const clusterCibHelp = `Usage: berth cluster cib [FILE] [--store URL]

Write the live CIB to FILE (atomically), or to stdout without FILE.
The store is --store URL or $BERTH_STORE: file:///var/lib/berth (default), a directory path, or
etcd://HOST:PORT[,HOST:PORT...]/PREFIX.

Exit codes: 0 success, 1 the store cannot be read, 2 usage error.
`;

export const clusterCibPushHelp = `Usage: berth cluster cib-push FILE [diff-against=ORIGINAL] [--config] [--force] [--store URL] [--json]

Push FILE to the live CIB.
  (default)              replace the whole CIB; refused unless FILE's version (admin_epoch, epoch,
                         num_updates) is newer than the live one
  --config               replace only the configuration section
  diff-against=ORIGINAL  push only the changes ORIGINAL -> FILE. Unlike pcs, each change is
                         checked against the live CIB: if what it touches changed there since
                         ORIGINAL, the push is refused, the conflicts are listed and nothing is
                         written. Nothing to push: says so and exits 0.
  --force                the repair of a corrupt store (STORE_CORRUPT: it holds something that
                         is not a CIB): FILE, whole, takes the place of what is there (no version
                         to compare with). A store holding a valid CIB is pushed to as without
                         --force; not with diff-against or --config (nothing to apply them to).

FILE is checked as 'berth cib validate' checks it, and refused with every problem at once.

The workflow:
  berth cluster cib tmp.xml; cp tmp.xml tmp.xml.orig
  berth -f tmp.xml resource bundle create ...
  berth cluster cib-push tmp.xml diff-against=tmp.xml.orig

Exit codes: 0 pushed (or nothing to push), 1 refused (not newer, conflict, invalid CIB, store
error), 2 usage error.
`;

// CLI wiring of the commands that edit a CIB: parse the pcs grammar, then run the library
// command inside one load -> lock -> edit -> write transaction (file now, live store later).
import { parseCib } from '../cib/cib';
import { readTextFile } from '../cib/cib-file';
import { editCibFile } from '../commands/cib-file-edit';
import { BerthError, problem, usage } from '../errors/registry';
import { EditCommand, EditContext, ReadCommand } from '../commands/edit';
import { groupByKeywords, prepareOptions } from '../commands/pcs-words';
import { Command, Flags, Invocation, editFlags } from './invocation';
import { reportEdit } from './render';
import { lazy } from './lazy';

function requireFile(flags: Flags): string {
  const file = flags.file;
  if (typeof file === 'string' && file) return file;
  throw new BerthError([problem('USAGE', { path: '-f', message: 'no CIB file given: use -f FILE (the live CIB is reached with `berth cluster cib` / `cib-push`)' })]);
}

/** Load -> edit -> bump epoch -> atomic write, all under the file's lock (commands/cib-file-edit.ts). */
export function runEdit(inv: Invocation, edit: EditCommand): number {
  const file = requireFile(inv.flags);
  reportEdit(editCibFile(file, edit, inv.args, editFlags(inv.flags)), inv.io);
  return 0;
}

export function runRead(inv: Invocation, read: ReadCommand): number {
  const file = requireFile(inv.flags);
  const cib = parseCib(readTextFile(file), file);
  inv.io.out(read({ cib, args: inv.args, flags: editFlags(inv.flags) }));
  return 0;
}

/** With -f the file; without it the live CIB through the store. */
const edit = (fn: () => EditCommand): Command => (inv) =>
  inv.flags.file ? runEdit(inv, fn()) : lazy.cliClusterCommands().runEditLive(inv, fn());
const read = (fn: () => ReadCommand): Command => (inv) =>
  inv.flags.file ? runRead(inv, fn()) : lazy.cliClusterCommands().runReadLive(inv, fn());

// ---- bundles: pcs's parse_bundle_{create,update,reset}_options ----

const BUNDLE_KEYWORDS = ['meta', 'container', 'network', 'port-map', 'storage-map'];
const REPEATED = ['port-map', 'storage-map'];

function bundleGroups(args: string[]) {
  if (!args.length) throw usage('missing bundle id');
  const groups = groupByKeywords(args.slice(1), BUNDLE_KEYWORDS, { repeated: REPEATED });
  for (const k of BUNDLE_KEYWORDS) {
    if (!(k in groups)) continue;
    const g = groups[k] as unknown[];
    if (REPEATED.includes(k) ? (g as string[][]).some((x) => !x.length) : !g.length) throw usage(`No ${k} options specified`);
  }
  return { id: args[0], groups };
}

function maps(groups: Record<string, unknown>, k: string): string[][] {
  return (groups[k] as string[][] | undefined) ?? [];
}
const opts = (groups: Record<string, unknown>, k: string) => prepareOptions((groups[k] as string[] | undefined) ?? []);

export const bundleCreateCmd = edit(() => (ctx: EditContext) => {
  const { id, groups } = bundleGroups(ctx.args);
  const container = [...((groups.container as string[] | undefined) ?? [])];
  const containerType = container.length && !container[0].includes('=') ? container.shift()! : '';
  const { bundleCreate } = lazy.commandsBundle();
  const meta = opts(groups, 'meta');
  return {
    warnings: bundleCreate(ctx.cib, {
      id,
      containerType,
      container: prepareOptions(container),
      network: opts(groups, 'network'),
      portMaps: maps(groups, 'port-map').map(prepareOptions),
      storageMaps: maps(groups, 'storage-map').map(prepareOptions),
      meta,
      disabled: ctx.flags.disabled === true,
      force: ctx.flags.force,
    }),
  };
});

export const bundleResetCmd = edit(() => (ctx: EditContext) => {
  const { id, groups } = bundleGroups(ctx.args);
  const { bundleReset } = lazy.commandsBundle();
  return {
    warnings: bundleReset(ctx.cib, {
      id,
      container: opts(groups, 'container'),
      network: opts(groups, 'network'),
      portMaps: maps(groups, 'port-map').map(prepareOptions),
      storageMaps: maps(groups, 'storage-map').map(prepareOptions),
      meta: opts(groups, 'meta'),
      disabled: ctx.flags.disabled === true,
      force: ctx.flags.force,
    }),
  };
});

function mapUpdate(groups: Record<string, unknown>, k: string) {
  const add: Record<string, string>[] = [];
  const remove: string[] = [];
  for (const g of maps(groups, k)) {
    const bad = () => usage(`When using '${k}' you must specify either 'add' and options or either of 'delete' or 'remove' and id(s)`);
    if (g.length < 2) throw bad();
    if (g[0] === 'add') add.push(prepareOptions(g.slice(1)));
    else if (g[0] === 'delete' || g[0] === 'remove') remove.push(...g.slice(1));
    else throw bad();
  }
  return { add, remove };
}

export const bundleUpdateCmd = edit(() => (ctx: EditContext) => {
  const { id, groups } = bundleGroups(ctx.args);
  const pm = mapUpdate(groups, 'port-map');
  const sm = mapUpdate(groups, 'storage-map');
  const { bundleUpdate } = lazy.commandsBundle();
  return {
    warnings: bundleUpdate(ctx.cib, {
      id,
      container: opts(groups, 'container'),
      network: opts(groups, 'network'),
      portMapAdd: pm.add,
      portMapRemove: pm.remove,
      storageMapAdd: sm.add,
      storageMapRemove: sm.remove,
      meta: opts(groups, 'meta'),
      force: ctx.flags.force,
    }),
  };
});

// ---- resources ----

export const resourceCreateCmd = edit(() => lazy.commandsResourceCreate().resourceCreate);
export const resourceDeleteCmd = edit(() => lazy.commandsResource().resourceDelete);
export const resourceEnableCmd = edit(() => lazy.commandsResource().resourceEnable);
export const resourceDisableCmd = edit(() => lazy.commandsResource().resourceDisable);
/**
 * `resource config [ID...] [--output-format text|cmd|json] [--json]`. Until the argv parser knows
 * --output-format takes a value, `--output-format cmd` arrives as `true` with `cmd` as the first word.
 */
export const resourceConfigCmd: Command = (inv) => {
  const given = inv.flags['output-format'];
  let args = inv.args;
  let value: string | undefined;
  if (typeof given === 'string') value = given;
  else if (given === true) {
    if (!args.length) throw new BerthError([problem('USAGE', { path: '--output-format', allowed: 'text, cmd, json', message: '--output-format needs a value: text, cmd or json' })]);
    [value, ...args] = args;
  }
  const { outputFormat, resourceConfigIn } = lazy.commandsResourceConfig();
  const format = value === undefined ? undefined : outputFormat(value);
  return read(() => resourceConfigIn(format))({ ...inv, args });
};
export const defaultsUpdateCmd = edit(() => lazy.commandsRscDefaults().defaultsUpdate);
export const defaultsConfigCmd = read(() => lazy.commandsRscDefaults().defaultsConfig);
/** `resource defaults`: shows them; with NAME=VALUE... pcs's deprecated form of update. */
export const defaultsCmd: Command = (inv) =>
  inv.args.length && inv.args.some((a) => a.includes('=')) ? edit(() => lazy.commandsRscDefaults().defaultsLegacy)(inv) : defaultsConfigCmd(inv);

// ---- properties and constraints ----

export const propertySetCmd = edit(() => lazy.commandsProperty().propertySet);
export const propertyUnsetCmd = edit(() => lazy.commandsProperty().propertyUnset);
export const propertyConfigCmd = read(() => lazy.commandsProperty().propertyConfig);
export const constraintLocationCmd = edit(() => lazy.commandsConstraint().constraintLocation);
export const constraintColocationCmd = edit(() => lazy.commandsConstraint().constraintColocation);
export const constraintOrderCmd = edit(() => lazy.commandsConstraint().constraintOrder);
export const constraintDeleteCmd = edit(() => lazy.commandsConstraint().constraintDelete);
export const constraintConfigCmd = read(() => lazy.commandsConstraint().constraintConfig);

// ---- nodes ----

export const nodeStandbyCmd = edit(() => lazy.commandsNode().nodeStandby);
export const nodeUnstandbyCmd = edit(() => lazy.commandsNode().nodeUnstandby);
/** pcs's: NODE NAME=VALUE... sets, [NODE] prints */
export const nodeUtilizationCmd: Command = (inv) => (inv.args.length >= 2 ? edit(() => lazy.commandsUtilization().nodeUtilizationSet) : read(() => lazy.commandsUtilization().nodeUtilizationShow))(inv);
/** pcs's: RESOURCE NAME=VALUE... sets, [RESOURCE] prints */
export const resourceUtilizationCmd: Command = (inv) => (inv.args.length >= 2 ? edit(() => lazy.commandsUtilization().resourceUtilizationSet) : read(() => lazy.commandsUtilization().resourceUtilizationShow))(inv);
export const nodeAddCmd = edit(() => lazy.commandsNode().nodeAdd);
export const nodeRemoveCmd = edit(() => lazy.commandsNode().nodeRemove);

// `resource ban / move-with-constraint / move / clear` (pcs 0.11.5's words): the CIB edits of
// src/commands/resource-move.ts, on a file (-f) or on the live CIB, with the clock read here.
import { BerthError, problem } from '../errors/registry';
import type { EditCommand } from '../commands/edit';
import { Command, Invocation } from './invocation';
import { lazy } from './lazy';

/** The flags these commands read beyond the edit flags every command has. */
const withOpsFlags = (inv: Invocation, edit: EditCommand): EditCommand => (ctx) =>
  edit({ ...ctx, flags: { ...ctx.flags, promoted: inv.flags.promoted === true, expired: inv.flags.expired === true } });

/** With -f the file; without it the live CIB through the store. */
function runOnCib(inv: Invocation, edit: EditCommand): number | Promise<number> {
  const e = withOpsFlags(inv, edit);
  return inv.flags.file ? lazy.cliEditCommands().runEdit(inv, e) : lazy.cliClusterCommands().runEditLive(inv, e);
}

export const resourceBanCmd: Command = (inv) => runOnCib(inv, lazy.commandsResourceMove().resourceBanAt(Date.now()));
export const resourceMoveWithConstraintCmd: Command = (inv) => runOnCib(inv, lazy.commandsResourceMove().resourceMoveWithConstraintAt(Date.now()));
export const resourceClearCmd: Command = (inv) => runOnCib(inv, lazy.commandsResourceMove().resourceClearAt(Date.now()));

/** pcs 0.11's `resource move` needs the live cluster: it waits for the move, then removes its constraint. */
export const resourceMoveCmd: Command = (inv) => {
  if (inv.flags.file) {
    throw new BerthError([problem('USAGE', {
      path: '-f', value: String(inv.flags.file),
      message: "Specified option '-f' is not supported in this command: 'resource move' waits for the cluster to move the resource and then removes its constraint; 'resource move-with-constraint' writes the constraint alone",
    })]);
  }
  const promoted = inv.flags.promoted === true;
  return lazy.cliClusterCommands().runReadLive(inv, ({ cib, args }) => {
    lazy.commandsResourceMove().resourceMoveChecks(cib, args, promoted);
    return '';
  });
};

export const resourceBanHelp = `Usage: berth [-f FILE] resource ban RSC NODE [lifetime=LIFETIME] [--promoted]

Keep RSC off NODE: writes the location constraint cli-ban-RSC-on-NODE with score -INFINITY
(role Started, or Promoted with --promoted), as pcs 0.11.5 / crm_resource do. With a lifetime
(an ISO 8601 duration: PT1H, P1D, P2W, P1Y2M; a leading number gets a P: 1D is P1D) the
constraint is a rule that ends at now + LIFETIME; the controller places the replicas again then.
NODE is required: berth does not look up where RSC runs. RSC is a bundle; the resource inside a
bundle, a primitive, group or clone is accepted as pcs does, with a warning that it moves nothing
berth runs. Remove the constraint with 'resource clear'.

  --promoted   only the Promoted role (RSC must be a promotable clone)

Examples:
  berth resource ban web n2
  berth -f cib.xml resource ban web n2 lifetime=PT30M
`;

export const resourceMoveWithConstraintHelp = `Usage: berth [-f FILE] resource move-with-constraint RSC NODE [lifetime=LIFETIME] [--promoted]

Prefer NODE for RSC: writes cli-prefer-RSC with score INFINITY (the earlier cli-prefer-RSC and
a cli-ban-RSC-on-NODE go), as pcs 0.11.5 does. As in pcs, a bundle or a clone cannot be moved
(ban it from nodes instead); the constraint stays until 'resource clear' or its lifetime ends.

  --promoted   only the Promoted role (RSC must be a promotable clone)

Examples:
  berth -f cib.xml resource move-with-constraint R1 n1
  berth -f cib.xml resource move-with-constraint R1 n1 lifetime=P1D
`;

export const resourceMoveHelp = `Usage: berth resource move RSC [NODE] [--promoted]

pcs 0.11's move: needs the live cluster (refused with -f, as pcs does). As in pcs, bundles and
clones cannot be moved; berth runs nothing else, so berth checks RSC as pcs does and refuses.
Use 'resource ban BUNDLE NODE' to move a bundle's replicas off a node, or
'resource move-with-constraint' to write a preference without waiting.

Example:
  berth resource ban web n1      # the replicas on n1 move elsewhere
`;

export const resourceClearHelp = `Usage: berth [-f FILE] resource clear RSC [NODE] [--expired] [--promoted]

Remove the constraints ban and move-with-constraint made for RSC (cli-ban-RSC-on-NODE,
cli-prefer-RSC), on NODE or on every node of the CIB, as crm_resource --clear does: a ban on a
node that is not in the CIB stays (remove it with 'constraint delete ID').

  --expired    only constraints whose lifetime has ended
  --promoted   RSC must be a promotable clone (pcs's check; both roles are cleared)

Examples:
  berth resource clear web
  berth -f cib.xml resource clear web n2
  berth resource clear web --expired
`;

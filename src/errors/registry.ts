// The one registry of problem codes. Every problem berth reports is a value with a stable code,
// the path/field, the value, what is allowed and a message; validators return lists of them and
// the caller fails once with all of them. docs/errors.md is checked against this table by a test.

export const PROBLEM_CODES = {
  // input files
  FILE_NOT_FOUND: 'the file does not exist or cannot be read',
  FILE_TOO_LARGE: 'the file is larger than the limit (BERTH_MAX_CIB_BYTES, default 64 MiB)',
  FILE_NOT_UTF8: 'the file is not valid UTF-8',
  FILE_LOCKED: 'another berth process holds the file lock for too long',
  FILE_WRITE_FAILED: 'the file could not be written (full disk, I/O error, quota, permissions); the old file is kept as it was',
  FILE_NOT_REGULAR: 'the path is a directory, FIFO, device or socket, or a symbolic link out of a source directory, not a regular file',
  XML_MALFORMED: 'the input is not well-formed XML',
  XML_TOO_DEEP: 'elements are nested deeper than the limit (value: the depth; allowed: the limit)',
  XML_TOO_MANY_ATTRIBUTES: 'an element has more attributes than the limit (value: the count; allowed: the limit)',
  XML_TOO_MANY_ELEMENTS: 'the document has more elements than the limit (value: the count; allowed: the limit)',
  XML_ENTITY_REFUSED: 'DOCTYPE / entity declarations are refused (entity-expansion bombs)',
  JSON_MALFORMED: 'the input is not valid JSON',
  SCHEMA_VIOLATION: 'the CIB breaks the JSON Schema in schemas/cib.schema.json in its shape (a node, a name, a value that is not text) or a version attribute; a value an option rule judges is reported with the code of that rule (OPTION_INVALID_VALUE, ID_INVALID, ...)',
  CIB_NOT_A_CIB: 'the root element is not <cib> or a required section is missing',
  // ids and references
  ID_INVALID: 'an id is not a valid XML ID',
  ID_DUPLICATE: 'an id is already used in the CIB',
  ID_NOT_FOUND: 'no element with that id exists',
  ID_WRONG_KIND: 'the id exists but is not the kind of element the command needs',
  REFERENCE_MISSING: 'a constraint or reference names an id that does not exist',
  // options
  OPTION_UNKNOWN: 'an option name is not one of the allowed names',
  OPTION_REQUIRED: 'a required option is missing',
  OPTION_INVALID_VALUE: 'an option value is not allowed',
  OPTION_CONFLICT: 'two options cannot be used together',
  OPTION_DEPRECATED: 'an option is deprecated (a warning)',
  DEFAULTS_OVERRIDDEN: 'resource defaults do not apply to resources that set the attribute themselves (a warning)',
  OPTION_PREREQUISITE: 'an option needs another option set or unset',
  // bundles
  BUNDLE_ADDRESS_OVERFLOW: 'ip-range-start + replicas runs past 255.255.255.255',
  BUNDLE_PORT_CONFLICT: 'two port mappings expose the same host port',
  BUNDLE_STORAGE_PATH: 'a storage path is not absolute or escapes with ..',
  BUNDLE_HAS_RESOURCE: 'a bundle may contain at most one resource',
  BUNDLE_NOT_ACCESSIBLE: 'the resource inside cannot be reached: set control-port or ip-range-start',
  BUNDLE_HOST_NETWORK: 'a bundle on the host network with a resource inside needs replicas-per-host=1',
  BUNDLE_HOST_ACCESS: 'a bundle asks for host access (privileged, devices, a dangerous capability, unconfined, a bind of a system directory, the host PID, IPC, UTS or user namespace) that the cluster property berth-host-access does not allow',
  BUNDLE_COUNT_READ_AS_ONE: 'replicas or replicas-per-host in the CIB is below 1: it is read as 1, as Pacemaker reads it',
  BUNDLE_UNSUPPORTED_CONTAINER: 'the bundle uses a container type berth does not support',
  BUNDLE_CONTAINER_TYPE: 'the container type is not one of the supported types',
  DOCKER_OPTION_UNSUPPORTED: 'a docker run option in options= is not supported',
  DOCKER_OPTION_INVALID: 'a docker run option in options= has an invalid value',
  // resources and agents
  AGENT_UNKNOWN: 'the resource agent is not installed or its metadata cannot be read',
  AGENT_NAME_INVALID: 'the agent name is not CLASS:PROVIDER:TYPE',
  RESOURCE_OP_INVALID: 'an operation definition is invalid',
  // properties and constraints
  PROPERTY_UNKNOWN: 'the cluster property is not known',
  PROPERTY_INVALID_VALUE: 'the cluster property value is not allowed',
  CONSTRAINT_INVALID: 'a constraint definition is invalid',
  OPERATION_NOT_SUPPORTED: 'an operation of the resource inside a bundle asks for something berth does not honour yet (on-fail=standby): refused rather than ignored',
  CONSTRAINT_NOT_SUPPORTED: 'a constraint uses a form berth does not honour yet (a colocation role other than Started, an order action promote or demote, rsc-instance/first-instance, a resource set by reference, a loop of colocations or orders): refused rather than ignored',
  CONSTRAINT_DUPLICATE: 'an equivalent constraint already exists',
  UTILIZATION_NOT_SUPPORTED: 'utilization placement cannot honour as written (a utilization set with a rule; utilization on a resource outside a bundle under a placement-strategy other than default): refused rather than ignored',
  SCORE_INVALID: 'a score is not an integer or INFINITY',
  // command line
  USAGE: 'the command line does not follow the grammar',
  // versions, patches and the live CIB
  VERSION_NOT_NEWER: 'the pushed CIB is not newer than the live one',
  PATCH_MALFORMED: 'a patch is not a Pacemaker format-2 patch',
  PATCH_DOES_NOT_APPLY: 'a change of a patch does not apply to the CIB (its target is missing or different)',
  PATCH_VERSION_MISMATCH: 'the patch was made for another CIB version',
  PATCH_UNSUPPORTED: 'the difference cannot be written as a patch (e.g. different root elements)',
  PATCH_CONFLICT: 'a pushed change touches something that changed in the live CIB since the base it was made on',
  STORE_URL_INVALID: 'the store URL is not one of the supported forms',
  STORE_UNREACHABLE: 'the store (directory or etcd) cannot be reached',
  STORE_CORRUPT: 'the store holds something that is not a valid CIB; it is reported, never overwritten but by `cluster cib-push FILE --force`',
  STORE_BAD_RESPONSE: 'the store answered something that is not its protocol',
  STORE_REFUSED: 'the store refused the write',
  STORE_KEY_INVALID: 'a side key name is not allowed',
  STORE_CONFLICT: 'the live CIB changed during the write (compare-and-swap lost) and retries ran out',
  // gitops
  GITOPS_SOURCE_INVALID: 'the gitops source (repository, ref, path or directory) is not usable',
  GITOPS_SOURCE_UNREACHABLE: 'the gitops source cannot be read',
  GITOPS_REVISION_REFUSED: 'a source revision is not a valid CIB; it is refused and the cluster keeps what it has',
  GITOPS_SETTINGS_INVALID: 'berth-gitops.json in the source is invalid',
  GITOPS_STATE_CORRUPT: 'the gitops record in the store is unreadable',
  // the engine and the node
  ENGINE_UNREACHABLE: 'the Docker engine does not answer',
  ENGINE_FAILED: 'the Docker engine refused an action',
  ADDRESS_IN_USE: 'a replica address is already held by something else on this host',
  NOT_HONOURED: 'the CIB holds something berth keeps and writes back but does not act on (a resource that is not a bundle, a role=Promoted location on a bundle with nothing to promote, ticket constraints, a colocation or order with a resource that is not a bundle, an attribute set with a rule, a constraint lifetime, ACLs, alerts, fencing levels): a warning naming it',
  CONTAINER_FOREIGN: 'a berth container on this engine belongs to another cluster (or to none): it is listed and never touched',
  CONTAINER_NOT_REMOVABLE: '(a warning) the container of a replica is stuck in removal: Docker lists it removing or dead and cannot remove it (typically "failed to remove root filesystem ... device or resource busy": a mount elsewhere holds its filesystem); it does not run, the replica runs as <name>.next meanwhile and takes its name back once the old one is gone, and berth retries the removal with a back-off (value: the container id; the message names the engine error and how to find the mount that holds it)',
  REPLICA_UNPLACEABLE: 'a replica cannot be placed (replicas-per-host, node state, constraints)',
  RESOURCE_NOT_RUNNING: 'the command needs the resource running (resource restart of a stopped bundle)',
  CLUSTER_MODE_UNSUPPORTED: 'the command was asked to work on this node alone (--cib, --store, --state-dir or --node without --controller) but the CIB has other nodes it cannot see from here (resource restart); the message says to give --controller',
  WAIT_TIMEOUT: 'the cluster did not reach the state a command waits for in time (resource restart); what the command changed is undone',
  // nodes, their agents and fencing
  AUTHKEY_INVALID: 'the authkey file is missing, unreadable, too short, or accessible by group or others',
  CLIENT_CONFIG_INVALID: 'the client config ($BERTH_CONFIG, else /etc/berth/client.json: the controllers and authkey the cluster commands use by default) cannot be read or is not a config (path: the file and field)',
  AGENT_STATE_INVALID: 'a state file of the node agent (the highest term seen) cannot be read or is not a record it wrote',
  AGENT_AUTH_FAILED: 'a request to a node agent was refused: wrong authkey, stale time, replayed nonce or missing signature',
  AGENT_TERM_STALE: 'the order carries an older term than the newest the agent has seen: the sender is no longer the leader',
  AGENT_FENCED: 'the agent refuses writes: its node lost its lease and is fenced',
  AGENT_BAD_MESSAGE: 'a request or an answer between controller and agent is not the protocol (malformed, oversized or unsigned)',
  AGENT_UNREACHABLE: 'the agent on the node does not answer',
  AGENT_SCOPE_REFUSED: 'the agent refuses an order outside its scope: a container not labelled for its node and cluster, a file outside the node files of its cluster, a directory in a system path or its own state',
  AGENT_HOST_ACCESS_DENIED: 'the agent refuses to create a container that asks for host access it was not started to allow (berth agent --allow, --allow-mount)',
  NODE_LOST: 'a node missed its lease; it is fenced and its replicas move',
  FENCE_FAILED: 'the configured fence command did not confirm the node is off',
  NOT_LEADER: 'this controller is not the leader (or, for a command asking the cluster, no controller that answers leads now)',
  // pacemaker-remoted, the executor inside a bundle's replica
  REMOTE_UNREACHABLE: 'the executor (pacemaker-remoted) in a replica does not accept connections at its address and control port',
  REMOTE_KEY_REFUSED: 'the executor ended the TLS handshake: the pre-shared key (the authkey file) is not the one it holds',
  REMOTE_KEY_INVALID: 'the authkey for the executor is empty or longer than the 512 bytes a TLS pre-shared key may have in OpenSSL (value: its length; make one of 256 bytes, as pcs does)',
  REMOTE_TIMEOUT: 'the executor did not finish the connection, the handshake or an answer in time',
  REMOTE_PROTOCOL: 'the executor answered outside its protocol (another protocol version, a compressed or malformed message, a message type berth does not know)',
  REMOTE_REFUSED: 'the executor refused a request (value: its return code, e.g. -19 for a resource it has not registered)',
  REMOTE_DISCONNECTED: 'the connection to the executor closed while a request or an operation was waiting for its answer',
  // the status page
  UI_AUTH_REQUIRED: 'a request to the status page has no open session, or a login gave a wrong token or password: log in with the token in the address that berth ui prints, or the password of --ui-password-file',
  UI_CSRF_REFUSED: 'an action posted to the status page lacks the CSRF token of its session or comes from another origin (a page of another site cannot act on the cluster)',
  UI_ACTIONS_DISABLED: 'the status page is read-only: the controller runs without --ui-actions',
  UI_NOT_SERVED: 'the leading controller serves no status page: start it with --ui-listen HOST:PORT',
} as const;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export interface Problem {
  code: ProblemCode;
  severity: 'error' | 'warning';
  /** Where: a field name, an XPath-like path, or file:line:col. */
  path?: string;
  value?: string;
  allowed?: string;
  message: string;
  /** True when --force turns this error into a warning. */
  forceable?: boolean;
}

export interface ProblemFields {
  path?: string;
  value?: string;
  allowed?: string;
  message: string;
  forceable?: boolean;
}

export function problem(code: ProblemCode, f: ProblemFields): Problem {
  const p: Problem = { code, severity: 'error', message: f.message };
  if (f.path !== undefined) p.path = f.path;
  if (f.value !== undefined) p.value = f.value;
  if (f.allowed !== undefined) p.allowed = f.allowed;
  if (f.forceable) p.forceable = true;
  return p;
}

/** One string per set of problems (code, path, value): a daemon reports a set once, not on every pass. */
export const problemsKey = (ps: readonly Problem[]): string => ps.map((p) => `${p.code}:${p.path ?? ''}:${p.value ?? ''}`).join('|');

export function warning(code: ProblemCode, f: ProblemFields): Problem {
  return { ...problem(code, f), severity: 'warning' };
}

/** With --force, forceable errors become warnings (as pcs does). */
export function applyForce(list: Problem[], force: boolean): Problem[] {
  if (!force) return list;
  return list.map((p) => (p.forceable && p.severity === 'error' ? { ...p, severity: 'warning' } : p));
}

export const hasErrors = (list: Problem[]) => list.some((p) => p.severity === 'error');

export class BerthError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'BerthError';
  }
}

/** A command line that does not follow the grammar (pcs words its usage errors this way). */
export const usage = (message: string): BerthError => new BerthError([problem('USAGE', { message })]);

/** Throw once with every error collected, keep warnings for the caller to print. */
export function failIfErrors(list: Problem[]): void {
  if (hasErrors(list)) throw new BerthError(list);
}

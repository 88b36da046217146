// Library commands for bundles: create, update, reset — pcs's lib/commands/resource.py and
// lib/cib/resource/bundle.py, validate then change, with berth's whole-bundle rules on top.
// Each takes the CIB tree, changes it in place and returns warnings; errors are thrown at once.
import { Cib, sanitizeId as sanitize, section } from '../cib/cib';
import { appendNewNvset, arrangeFirstNvset } from '../cib/nvset';
import { XmlElement, child, el, isElement } from '../cib/xml';
import { BerthError, Problem, applyForce, failIfErrors, problem } from '../errors/registry';
import { bundleRules, containerOf } from '../validate/bundle-rules';
import { bundleHostAccessProblems } from '../validate/host-access-rules';
import {
  CONTAINER_OPTIONS, CONTAINER_TYPES, CONTAINER_VALUES, NETWORK_OPTIONS, NETWORK_VALUES, PORT_MAP_OPTIONS, PORT_MAP_VALUES, PORT_MAP_WHOLE,
  STORAGE_MAP_OPTIONS, STORAGE_MAP_WHOLE, containerValidators, hostNetmask,
} from '../validate/bundle-options';
import { IdProvider } from '../validate/ids';
import {
  Options, Validator, deprecated, mutuallyExclusive, namesIn, nonnegativeInteger, optionsToRemove, portNumber, positiveInteger, runAll,
} from '../validate/options';

export interface BundleSections {
  container: Options;
  network: Options;
  portMaps: Options[];
  storageMaps: Options[];
  meta: Options;
}

export interface BundleCreate extends BundleSections {
  id: string;
  containerType: string;
  disabled: boolean;
  force: boolean;
}

export interface BundleUpdate {
  id: string;
  container: Options;
  network: Options;
  portMapAdd: Options[];
  portMapRemove: string[];
  storageMapAdd: Options[];
  storageMapRemove: string[];
  meta: Options;
  force: boolean;
}

export interface BundleReset extends BundleSections {
  id: string;
  disabled: boolean;
  force: boolean;
}

// ---- validators ----

function validateContainerNew(type: string, opts: Options): Problem[] {
  if (!CONTAINER_TYPES.includes(type)) {
    return [problem('BUNDLE_CONTAINER_TYPE', { path: 'container type', value: type, allowed: CONTAINER_TYPES.join(', '), message: `'${type}' is not a valid container type value, use ${CONTAINER_TYPES.map((t) => `'${t}'`).join(', ')}` })];
  }
  return [...runAll(containerValidators(), opts), ...(opts.masters !== undefined ? [deprecated('masters', 'promoted-max', 'container')] : [])];
}

function validateContainerUpdate(container: XmlElement, opts: Options): Problem[] {
  const validators: Validator[] = [
    namesIn([...CONTAINER_OPTIONS, ...optionsToRemove(opts)], 'container', false),
    CONTAINER_VALUES.image,
    nonnegativeInteger('masters', true),
    nonnegativeInteger('promoted-max', true),
    positiveInteger('replicas', true),
    positiveInteger('replicas-per-host', true),
  ];
  if (!((opts.masters ?? '') === '' || (opts['promoted-max'] ?? '') === '')) validators.push(mutuallyExclusive(['masters', 'promoted-max'], 'container'));
  const out = runAll(validators, opts);
  if (opts.masters) out.push(deprecated('masters', 'promoted-max', 'container'));
  const mustNotBeSet = (opt: string, pre: string) =>
    problem('OPTION_PREREQUISITE', { path: `container.${opt}`, value: opts[opt], message: `Cannot set container option '${opt}' because container option '${pre}' is already set` });
  if (opts.masters && container.attrs['promoted-max'] && opts['promoted-max'] !== '') out.push(mustNotBeSet('masters', 'promoted-max'));
  if (opts['promoted-max'] && container.attrs.masters && opts.masters !== '') out.push(mustNotBeSet('promoted-max', 'masters'));
  return out;
}

function validateNetworkNew(opts: Options): Problem[] {
  return runAll([namesIn(NETWORK_OPTIONS, 'network', false), NETWORK_VALUES['control-port'], NETWORK_VALUES['host-netmask']], opts);
}

function validateNetworkUpdate(bundle: XmlElement, opts: Options): Problem[] {
  const network = child(bundle, 'network');
  if (!network) return validateNetworkNew(opts);
  const out: Problem[] = [];
  const inner = child(bundle, 'primitive');
  if (inner && !accessibleAfterUpdate(network, opts)) {
    out.push(problem('BUNDLE_NOT_ACCESSIBLE', { path: 'network', value: inner.attrs.id, forceable: true, message: `Resource '${inner.attrs.id}' will not be accessible by the cluster inside bundle '${bundle.attrs.id}', at least one of bundle options 'control-port' or 'ip-range-start' has to be specified` }));
  }
  return [...out, ...runAll([namesIn([...NETWORK_OPTIONS, ...optionsToRemove(opts)], 'network', false), portNumber('control-port', true), hostNetmask(true)], opts)];
}

function accessibleAfterUpdate(network: XmlElement, opts: Options): boolean {
  const removing = (o: string) => opts[o] === '';
  const notAdding = (o: string) => opts[o] === undefined;
  const port = network.attrs['control-port'];
  const ip = network.attrs['ip-range-start'];
  const case1 = port && !ip && removing('control-port') && notAdding('ip-range-start');
  const case2 = !port && ip && notAdding('control-port') && removing('ip-range-start');
  const case3 = port && ip && removing('control-port') && removing('ip-range-start');
  return !(case1 || case2 || case3);
}

function validatePortMaps(list: Options[], ids: IdProvider): Problem[] {
  const out: Problem[] = [];
  for (const o of list) {
    out.push(...namesIn(PORT_MAP_OPTIONS, 'port-map', false)(o));
    if (o.id !== undefined) out.push(...ids.validateAndBook(o.id, 'port-map id'));
    out.push(...runAll([...PORT_MAP_WHOLE, PORT_MAP_VALUES.port, PORT_MAP_VALUES['internal-port'], PORT_MAP_VALUES.range], o));
  }
  return out;
}

function validateStorageMaps(list: Options[], ids: IdProvider): Problem[] {
  const out: Problem[] = [];
  for (const o of list) {
    out.push(...namesIn(STORAGE_MAP_OPTIONS, 'storage-map', false)(o));
    if (o.id !== undefined) out.push(...ids.validateAndBook(o.id, 'storage-map id'));
    out.push(...runAll(STORAGE_MAP_WHOLE, o));
  }
  return out;
}

function validateMapIdsExist(bundle: XmlElement, tag: string, label: string, idsToRemove: string[]): Problem[] {
  const present = new Set<string>();
  const walkIn = (e: XmlElement) => {
    for (const c of e.children) if (isElement(c)) { if (c.tag === tag && c.attrs.id) present.add(c.attrs.id); walkIn(c); }
  };
  walkIn(bundle);
  return idsToRemove.filter((id) => !present.has(id)).map((id) => problem('ID_NOT_FOUND', { path: label, value: id, message: `there is no ${label} '${id}' in the bundle '${bundle.attrs.id}'` }));
}

// ---- changes ----

function updateAttributesRemoveEmpty(e: XmlElement, opts: Options): void {
  for (const [k, v] of Object.entries(opts)) {
    if (v === '') delete e.attrs[k];
    else e.attrs[k] = v;
  }
}

function appendPortMap(parent: XmlElement, ids: IdProvider, bundleId: string, opts: Options): void {
  const o = { ...opts };
  if (o.id === undefined) {
    const suffix = o.port ?? o.range;
    if (suffix) o.id = ids.allocate(sanitize(`${bundleId}-port-map-${suffix}`));
  }
  const pm = el('port-mapping');
  updateAttributesRemoveEmpty(pm, o);
  parent.children.push(pm);
}

function appendStorageMap(parent: XmlElement, ids: IdProvider, bundleId: string, opts: Options): void {
  const o = { ...opts };
  if (o.id === undefined) o.id = ids.allocate(`${bundleId}-storage-map`);
  const sm = el('storage-mapping');
  updateAttributesRemoveEmpty(sm, o);
  parent.children.push(sm);
}

/** An element is worth keeping when it has children or attributes other than id. */
function useful(e: XmlElement): boolean {
  return e.children.length > 0 || Object.keys(e.attrs).some((k) => k !== 'id');
}

export function findBundle(cib: Cib, id: string): XmlElement {
  const resources = section(cib, 'resources');
  const ids = new IdProvider(cib);
  const found = ids.lookup(id);
  if (!found) throw notFound(id, 'bundle');
  if (found.tag !== 'bundle' || !isInside(resources, found)) {
    throw new BerthError([problem('ID_WRONG_KIND', { path: 'id', value: id, message: `'${id}' is not a bundle` })]);
  }
  return found;
}

function isInside(root: XmlElement, target: XmlElement): boolean {
  for (const c of root.children) if (isElement(c) && (c === target || isInside(c, target))) return true;
  return false;
}

export function notFound(id: string, kind: string) {
  return new BerthError([problem('ID_NOT_FOUND', { path: 'id', value: id, message: `${kind} '${id}' does not exist` })]);
}

function disable(resource: XmlElement, ids: IdProvider): void {
  arrangeFirstNvset('meta_attributes', resource, { 'target-role': 'Stopped' }, ids);
}

/**
 * After the change the whole bundle must satisfy berth's rules (bundle-rules.ts) and ask for no
 * host access the cluster does not allow: what `cib validate` and every pass would refuse is
 * refused here, --force or not (a forced option no pass could run would stop the whole CIB).
 * Only errors count here: pcs's own checks already ran.
 */
function checkBundle(cib: Cib, bundle: XmlElement, force: boolean): Problem[] {
  const list = [...bundleRules(bundle), ...bundleHostAccessProblems(cib, bundle)].filter((p) => p.severity === 'error');
  return applyForce(list, force);
}

export function bundleCreate(cib: Cib, req: BundleCreate): Problem[] {
  const resources = section(cib, 'resources');
  const ids = new IdProvider(cib);
  const problems = applyForce(
    [
      ...ids.validateAndBook(req.id, 'bundle name'),
      ...validateContainerNew(req.containerType, req.container),
      ...validateNetworkNew(req.network),
      ...validatePortMaps(req.portMaps, ids),
      ...validateStorageMaps(req.storageMaps, ids),
    ],
    req.force,
  );
  failIfErrors(problems);
  const bundle = el('bundle', { id: req.id });
  const container = el(req.containerType);
  updateAttributesRemoveEmpty(container, req.container);
  bundle.children.push(container);
  if (Object.keys(req.network).length || req.portMaps.length) {
    const network = el('network');
    updateAttributesRemoveEmpty(network, req.network);
    for (const pm of req.portMaps) appendPortMap(network, ids, req.id, pm);
    bundle.children.push(network);
  }
  if (req.storageMaps.length) {
    const storage = el('storage');
    for (const sm of req.storageMaps) appendStorageMap(storage, ids, req.id, sm);
    bundle.children.push(storage);
  }
  if (Object.keys(req.meta).length) appendNewNvset('meta_attributes', bundle, req.meta, ids);
  if (req.disabled) disable(bundle, ids);
  const after = checkBundle(cib, bundle, req.force);
  failIfErrors(after);
  resources.children.push(bundle);
  return [...problems, ...after];
}

/** The parent's children without the named maps, whose ids become free for this command. */
function removeMaps(parent: XmlElement, tag: string, remove: string[], ids: IdProvider) {
  return parent.children.filter((c) => {
    const drop = isElement(c) && c.tag === tag && remove.includes(c.attrs.id ?? '');
    if (drop) ids.release(c as XmlElement);
    return !drop;
  });
}

function applyUpdate(bundle: XmlElement, ids: IdProvider, u: Omit<BundleUpdate, 'force' | 'id'>): void {
  const id = bundle.attrs.id;
  const container = containerOf(bundle);
  if (container) updateAttributesRemoveEmpty(container, u.container);
  const existingNetwork = child(bundle, 'network');
  const network = existingNetwork ?? el('network');
  if (Object.keys(u.network).length) updateAttributesRemoveEmpty(network, u.network);
  if (u.portMapRemove.length) network.children = removeMaps(network, 'port-mapping', u.portMapRemove, ids);
  for (const pm of u.portMapAdd) appendPortMap(network, ids, id, pm);
  if (!existingNetwork && useful(network)) bundle.children.push(network);
  const existingStorage = child(bundle, 'storage');
  const storage = existingStorage ?? el('storage');
  if (u.storageMapRemove.length) storage.children = removeMaps(storage, 'storage-mapping', u.storageMapRemove, ids);
  for (const sm of u.storageMapAdd) appendStorageMap(storage, ids, id, sm);
  if (!existingStorage && useful(storage)) bundle.children.push(storage);
  if (Object.keys(u.meta).length) arrangeFirstNvset('meta_attributes', bundle, u.meta, ids);
}

export function bundleUpdate(cib: Cib, req: BundleUpdate): Problem[] {
  const bundle = findBundle(cib, req.id);
  const ids = new IdProvider(cib);
  const container = containerOf(bundle);
  const problems: Problem[] = [];
  if (Object.keys(req.container).length) {
    if (!container || !['docker', 'podman', 'rkt'].includes(container.tag)) problems.push(unsupportedContainer(bundle, true));
    else problems.push(...validateContainerUpdate(container, req.container));
  }
  problems.push(
    ...validateNetworkUpdate(bundle, req.network),
    ...validatePortMaps(req.portMapAdd, ids),
    ...validateStorageMaps(req.storageMapAdd, ids),
    ...validateMapIdsExist(bundle, 'port-mapping', 'port-map', req.portMapRemove),
    ...validateMapIdsExist(bundle, 'storage-mapping', 'storage-map', req.storageMapRemove),
  );
  const forced = applyForce(problems, req.force);
  failIfErrors(forced);
  const work = structuredClone(bundle);
  applyUpdate(work, ids, req);
  const after = checkBundle(cib, work, req.force);
  failIfErrors(after);
  Object.assign(bundle, work);
  return [...forced, ...after];
}

function unsupportedContainer(bundle: XmlElement, updating: boolean): Problem {
  return problem('BUNDLE_UNSUPPORTED_CONTAINER', {
    path: bundle.attrs.id,
    value: containerOf(bundle)?.tag ?? '',
    allowed: "'docker', 'podman', 'rkt'",
    message: `Bundle '${bundle.attrs.id}' uses unsupported container type${updating ? ', therefore it is not possible to set its container options' : ''}. Supported container types are: 'docker', 'podman', 'rkt'`,
  });
}

export function bundleReset(cib: Cib, req: BundleReset): Problem[] {
  const bundle = findBundle(cib, req.id);
  const container = containerOf(bundle);
  if (!container) failIfErrors([unsupportedContainer(bundle, false)]);
  const work = structuredClone(bundle);
  // reset_to_minimal: network and storage emptied, meta keeps its id, the container keeps image;
  // everything else (the resource inside) stays.
  for (const c of work.children) {
    if (!isElement(c)) continue;
    if (c.tag === 'network' || c.tag === 'storage') { c.attrs = {}; c.children = []; }
    else if (c.tag === 'meta_attributes') { c.attrs = c.attrs.id !== undefined ? { id: c.attrs.id } : {}; c.children = []; }
    else if (CONTAINER_TYPES.includes(c.tag)) { c.attrs = c.attrs.image !== undefined ? { image: c.attrs.image } : {}; c.children = []; }
  }
  // Ids are checked against the CIB as it is after the reset (freed map ids can be reused).
  const originalChildren = bundle.children;
  bundle.children = work.children;
  try {
    const ids = new IdProvider(cib);
    const problems = applyForce(
      [
        ...(Object.keys(req.container).length && !containerOf(work) ? [unsupportedContainer(work, false)] : runAll(containerValidators(), req.container)),
        ...(req.container.masters !== undefined ? [deprecated('masters', 'promoted-max', 'container')] : []),
        ...validateNetworkNew(req.network),
        ...validatePortMaps(req.portMaps, ids),
        ...validateStorageMaps(req.storageMaps, ids),
      ],
      req.force,
    );
    failIfErrors(problems);
    applyUpdate(work, ids, { container: req.container, network: req.network, portMapAdd: req.portMaps, portMapRemove: [], storageMapAdd: req.storageMaps, storageMapRemove: [], meta: req.meta });
    if (req.disabled) disable(work, ids);
    const after = checkBundle(cib, work, req.force);
    failIfErrors(after);
    return [...problems, ...after];
  } catch (e) {
    bundle.children = originalChildren;
    throw e;
  }
}


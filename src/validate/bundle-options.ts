// The options of a bundle's parts as pcs names them (container, network, port-map, storage-map):
// the names each part takes and what each value may be. One table for the command line
// (src/commands/bundle.ts), the whole-bundle rules (bundle-rules.ts) and the words of the schema
// check of CIB files (attribute-facts.ts, src/cib/schema.ts): a value has one rule and one message.
import {
  Validator, dependsOn, isInteger, isRequiredAll, isRequiredSome, mutuallyExclusive, namesIn, nonnegativeInteger,
  portNumber, portRange, positiveInteger, valueNotEmpty, valueRule,
} from './options';
import { validateId } from './id-rule';

export const CONTAINER_TYPES = ['docker', 'podman', 'rkt'];
export const CONTAINER_OPTIONS = ['image', 'masters', 'network', 'options', 'promoted-max', 'run-command', 'replicas', 'replicas-per-host'];
/** pcs's list plus add-host, which pcs refuses without --force and berth supports. */
export const NETWORK_OPTIONS = ['add-host', 'control-port', 'host-interface', 'host-netmask', 'ip-range-start'];
export const PORT_MAP_OPTIONS = ['id', 'port', 'internal-port', 'range'];
export const STORAGE_MAP_OPTIONS = ['id', 'options', 'source-dir', 'source-dir-root', 'target-dir'];

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1].length > 1 && m[i + 1][0] === '0'))) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** The id attribute of a part, worded as the command line words it ('bundle name', 'port-map id'). */
export const idValue = (label: string): Validator => (opts) => (opts.id === undefined ? [] : validateId(opts.id, label));

export const hostNetmask = (emptyOk: boolean) => valueRule({ name: 'host-netmask', valid: (v) => isInteger(v, 1, 32), hint: 'a number of bits of the mask (1..32)', emptyOk, forceable: true });

export const ipRangeStart = valueRule({ name: 'ip-range-start', valid: (v) => parseIPv4(v) !== undefined, hint: 'an IPv4 address (a.b.c.d, each part 0..255)' });

export const addHost = valueRule({ name: 'add-host', valid: (v) => /^(true|false|yes|no|on|off|1|0)$/i.test(v), hint: "'true' or 'false'" });

/** A directory of a storage mapping: absolute, and no `..` to climb out of where it points. */
export const storagePath = (name: string) =>
  valueRule({ name, valid: (v) => v.startsWith('/') && !v.split('/').includes('..'), hint: "an absolute path without '..'", code: 'BUNDLE_STORAGE_PATH' });

/** Each option's value rule, as `resource bundle create` checks it. */
export const CONTAINER_VALUES: Record<string, Validator> = {
  image: valueNotEmpty('image', 'image name'),
  masters: nonnegativeInteger('masters'),
  'promoted-max': nonnegativeInteger('promoted-max'),
  replicas: positiveInteger('replicas'),
  'replicas-per-host': positiveInteger('replicas-per-host'),
};

export const NETWORK_VALUES: Record<string, Validator> = {
  'add-host': addHost,
  'control-port': portNumber('control-port'),
  'host-interface': valueNotEmpty('host-interface', 'host-interface'),
  'host-netmask': hostNetmask(false),
  'ip-range-start': ipRangeStart,
};

export const PORT_MAP_VALUES: Record<string, Validator> = {
  id: idValue('port-map id'),
  port: portNumber('port'),
  'internal-port': portNumber('internal-port'),
  range: portRange('range', true),
};

export const STORAGE_MAP_VALUES: Record<string, Validator> = {
  id: idValue('storage-map id'),
  'source-dir': storagePath('source-dir'),
  'source-dir-root': storagePath('source-dir-root'),
  'target-dir': storagePath('target-dir'),
};

/** A port mapping's options together: internal-port needs port; port or range, not both. */
export const PORT_MAP_WHOLE: Validator[] = [dependsOn(['internal-port'], 'port', 'port-map'), isRequiredSome(['port', 'range'], 'port-map'), mutuallyExclusive(['port', 'range'], 'port-map')];

/** A storage mapping's options together: source-dir or source-dir-root, not both; target-dir. */
export const STORAGE_MAP_WHOLE: Validator[] = [isRequiredSome(['source-dir', 'source-dir-root'], 'storage-map'), mutuallyExclusive(['source-dir', 'source-dir-root'], 'storage-map'), isRequiredAll(['target-dir'], 'storage-map')];

/** The container options of a new bundle, in pcs's order. */
export function containerValidators(): Validator[] {
  const v = CONTAINER_VALUES;
  return [
    namesIn(CONTAINER_OPTIONS, 'container', false),
    isRequiredAll(['image'], 'container'),
    v.image,
    v.masters,
    v['promoted-max'],
    mutuallyExclusive(['masters', 'promoted-max'], 'container'),
    v.replicas,
    v['replicas-per-host'],
  ];
}

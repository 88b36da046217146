// `resource config [ID...]` as pcs 0.11.5 prints it, in its three output formats, plus berth's own
// `--json`. The CIB's <resources> is read once into pcs's ListCibResourcesDto (the shape pcs prints
// with `--output-format json`); the text and the commands (`--output-format cmd`) are rendered from
// that, as pcs's cli/resource/output.py does:
//   resourcesDto(cib) -> selectResources(dto, ids) -> resourcesText | resourcesCmd | resourcesJson
// Where berth differs from pcs on purpose is said at the spot (and asserted in the golden test).
import { Cib, section } from '../cib/cib';
import { XmlElement, attrsOf, child, elements, walk } from '../cib/xml';
import { BerthError, Problem, problem } from '../errors/registry';
import { ReadCommand } from './edit';
import { PyJson, nameValue, pythonCompare, pythonCompareTuples, pythonInt, pythonJsonDumps, shellQuote } from './pcs-text';
import { berthResourcesJson } from './resource';
import { RuleDto, ruleDto, ruleLines } from './pcs-rule';

// ---- pcs's DTOs (snake_case: this is the JSON pcs prints) ----

export interface NvpairDto { id: string; name: string; value: string }
export interface NvsetDto { id: string; options: Record<string, string>; rule: RuleDto | null; nvpairs: NvpairDto[] }
export interface AgentNameDto { standard: string; provider: string | null; type: string }
export interface OperationDto {
  id: string; name: string; interval: string; description: string | null;
  start_delay: string | null; interval_origin: string | null; timeout: string | null;
  enabled: boolean | null; record_pending: boolean | null; role: string | null; on_fail: string | null;
  meta_attributes: NvsetDto[]; instance_attributes: NvsetDto[];
}
export interface PrimitiveDto {
  id: string; agent_name: AgentNameDto; description: string | null; operations: OperationDto[];
  meta_attributes: NvsetDto[]; instance_attributes: NvsetDto[]; utilization: NvsetDto[];
}
export interface GroupDto { id: string; description: string | null; member_ids: string[]; meta_attributes: NvsetDto[]; instance_attributes: NvsetDto[] }
export interface CloneDto { id: string; description: string | null; member_id: string; meta_attributes: NvsetDto[]; instance_attributes: NvsetDto[] }
export interface ContainerOptionsDto {
  image: string; replicas: number | null; replicas_per_host: number | null; promoted_max: number | null;
  run_command: string | null; network: string | null; options: string | null;
}
export interface NetworkDto { ip_range_start: string | null; control_port: number | null; host_interface: string | null; host_netmask: number | null; add_host: boolean | null }
export interface PortMappingDto { id: string; port: number | null; internal_port: number | null; range: string | null }
export interface StorageMappingDto { id: string; source_dir: string | null; source_dir_root: string | null; target_dir: string; options: string | null }
export interface BundleDto {
  id: string; description: string | null; member_id: string | null; container_type: string | null;
  container_options: ContainerOptionsDto | null; network: NetworkDto | null;
  port_mappings: PortMappingDto[]; storage_mappings: StorageMappingDto[];
  meta_attributes: NvsetDto[]; instance_attributes: NvsetDto[];
}
export interface ResourcesDto { primitives: PrimitiveDto[]; clones: CloneDto[]; groups: GroupDto[]; bundles: BundleDto[] }

export const OUTPUT_FORMATS = ['text', 'cmd', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

// ---- CIB -> DTO (pcs's *_element_to_dto) ----

const CONTAINER_TYPES = ['docker', 'podman', 'rkt'];
const opt = (e: XmlElement, name: string): string | null => e.attrs[name] ?? null;

/** Pacemaker's crm_is_true, as pcs's is_true. */
const isTrue = (v: string) => ['true', 'on', 'yes', 'y', '1'].includes(v.toLowerCase());

function intOf(e: XmlElement, name: string, path: string): number | null {
  const v = e.attrs[name];
  if (v === undefined) return null;
  const n = pythonInt(v);
  // pcs stops with a Python traceback here; berth says what is wrong
  if (n === undefined) throw new BerthError([problem('OPTION_INVALID_VALUE', { path: `${path}/@${name}`, value: v, allowed: 'an integer', message: `'${v}' is not a valid ${name} value in ${path}, use an integer` })]);
  return n;
}

function nvsetDto(set: XmlElement): NvsetDto {
  const options = attrsOf(); // an attribute named __proto__ stays an attribute
  for (const [k, v] of Object.entries(set.attrs)) if (k !== 'id') options[k] = v;
  const rule = child(set, 'rule');
  return {
    id: set.attrs.id ?? '',
    options,
    rule: rule ? ruleDto(rule) : null,
    nvpairs: elements(set, 'nvpair')
      .map((p) => ({ id: p.attrs.id ?? '', name: p.attrs.name ?? '', value: p.attrs.value ?? '' }))
      .sort((a, b) => pythonCompare(a.id, b.id)),
  };
}
const nvsets = (e: XmlElement, tag: string) => elements(e, tag).map(nvsetDto);

/** pcs's role.get_value_primary: the legacy names of the promoted roles become the new ones. */
const primaryRole = (r: string) => (r === 'Master' ? 'Promoted' : r === 'Slave' ? 'Unpromoted' : r);

function operationDto(op: XmlElement): OperationDto {
  const bool = (name: string) => (op.attrs[name] === undefined ? null : isTrue(op.attrs[name]));
  return {
    id: op.attrs.id ?? '',
    name: op.attrs.name ?? '',
    interval: op.attrs.interval ?? '',
    description: opt(op, 'description'),
    start_delay: opt(op, 'start-delay'),
    interval_origin: opt(op, 'interval-origin'),
    timeout: opt(op, 'timeout'),
    enabled: bool('enabled'),
    record_pending: bool('record-pending'),
    role: op.attrs.role === undefined ? null : primaryRole(op.attrs.role),
    on_fail: opt(op, 'on-fail'),
    meta_attributes: nvsets(op, 'meta_attributes'),
    instance_attributes: nvsets(op, 'instance_attributes'),
  };
}

function primitiveDto(p: XmlElement): PrimitiveDto {
  const ops = child(p, 'operations');
  return {
    id: p.attrs.id,
    agent_name: { standard: p.attrs.class ?? '', provider: opt(p, 'provider'), type: p.attrs.type ?? '' },
    description: opt(p, 'description'),
    operations: ops ? elements(ops, 'op').map(operationDto) : [],
    meta_attributes: nvsets(p, 'meta_attributes'),
    instance_attributes: nvsets(p, 'instance_attributes'),
    utilization: nvsets(p, 'utilization'),
  };
}

const innerOf = (e: XmlElement, tags: string[]) => elements(e).find((c) => tags.includes(c.tag));

function cloneDto(c: XmlElement): CloneDto {
  return {
    id: c.attrs.id,
    description: opt(c, 'description'),
    member_id: innerOf(c, ['primitive', 'group'])?.attrs.id ?? '',
    meta_attributes: nvsets(c, 'meta_attributes'),
    instance_attributes: nvsets(c, 'instance_attributes'),
  };
}

/** pcs's master_element_to_dto: a <master> is a clone with promotable=true added to its first meta set. */
function masterDto(m: XmlElement): CloneDto {
  const dto = cloneDto(m);
  const promotable: NvpairDto = { id: '', name: 'promotable', value: 'true' };
  const [first, ...rest] = dto.meta_attributes;
  dto.meta_attributes = first ? [{ ...first, nvpairs: [...first.nvpairs, promotable] }, ...rest] : [{ id: '', options: {}, rule: null, nvpairs: [promotable] }];
  return dto;
}

function bundleDto(b: XmlElement): BundleDto {
  const path = `bundle '${b.attrs.id}'`;
  const runtime = CONTAINER_TYPES.map((t) => child(b, t)).find((c) => c !== undefined);
  const network = child(b, 'network');
  const storage = child(b, 'storage');
  return {
    id: b.attrs.id,
    description: opt(b, 'description'),
    member_id: child(b, 'primitive')?.attrs.id ?? null,
    container_type: runtime ? runtime.tag : null,
    container_options: runtime
      ? {
          image: runtime.attrs.image ?? '',
          replicas: intOf(runtime, 'replicas', path),
          replicas_per_host: intOf(runtime, 'replicas-per-host', path),
          // pcs shows the deprecated masters as promoted-max
          promoted_max: intOf(runtime, runtime.attrs['promoted-max'] ? 'promoted-max' : 'masters', path),
          run_command: opt(runtime, 'run-command'),
          network: opt(runtime, 'network'),
          options: opt(runtime, 'options'),
        }
      : null,
    network: network
      ? {
          ip_range_start: opt(network, 'ip-range-start'),
          control_port: intOf(network, 'control-port', path),
          host_interface: opt(network, 'host-interface'),
          host_netmask: intOf(network, 'host-netmask', path),
          // deliberate difference: pcs takes Python's bool() of the text, so add-host="false" is
          // true there; berth reads it as Pacemaker does
          add_host: network.attrs['add-host'] === undefined ? null : isTrue(network.attrs['add-host']),
        }
      : null,
    port_mappings: network
      ? elements(network, 'port-mapping').map((m) => ({ id: m.attrs.id ?? '', port: intOf(m, 'port', path), internal_port: intOf(m, 'internal-port', path), range: opt(m, 'range') }))
      : [],
    storage_mappings: storage
      ? elements(storage, 'storage-mapping').map((m) => ({ id: m.attrs.id ?? '', source_dir: opt(m, 'source-dir'), source_dir_root: opt(m, 'source-dir-root'), target_dir: m.attrs['target-dir'] ?? '', options: opt(m, 'options') }))
      : [],
    meta_attributes: nvsets(b, 'meta_attributes'),
    instance_attributes: nvsets(b, 'instance_attributes'),
  };
}

/** Every resource of the CIB as pcs's get_configured_resources lists them: by kind, each in document order. */
export function resourcesDto(cib: Cib): ResourcesDto {
  const resources = section(cib, 'resources');
  const all = (tag: string) => {
    const out: XmlElement[] = [];
    walk(resources, (e, parent) => { if (parent && e.tag === tag) out.push(e); });
    return out;
  };
  return {
    primitives: all('primitive').map(primitiveDto),
    clones: [...elements(resources, 'clone').map(cloneDto), ...elements(resources, 'master').map(masterDto)],
    groups: all('group').map(groupDto),
    bundles: elements(resources, 'bundle').map(bundleDto),
  };
}

function groupDto(g: XmlElement): GroupDto {
  return {
    id: g.attrs.id,
    description: opt(g, 'description'),
    member_ids: elements(g, 'primitive').map((p) => p.attrs.id),
    meta_attributes: nvsets(g, 'meta_attributes'),
    instance_attributes: nvsets(g, 'instance_attributes'),
  };
}

// ---- selection (pcs's ResourcesConfigurationFacade) ----

const isStonith = (p: PrimitiveDto) => p.agent_name.standard === 'stonith';

/** The resources and which of them are shown at the top (the rest are shown inside their parents). */
export interface Selection {
  dto: ResourcesDto;
  /** ids shown at the top level; undefined: every resource without a parent */
  shown?: Set<string>;
  parents: Map<string, string>;
}

function parentsOf(dto: ResourcesDto): Map<string, string> {
  const parents = new Map<string, string>();
  for (const b of dto.bundles) if (b.member_id) parents.set(b.member_id, b.id);
  for (const c of dto.clones) parents.set(c.member_id, c.id);
  for (const g of dto.groups) for (const m of g.member_ids) parents.set(m, g.id);
  return parents;
}

/**
 * pcs's filter_stonith(False) then filter_resources(ids): stonith devices only inside a parent;
 * with ids, those resources and everything inside them, each kind sorted by id.
 * Deliberate difference: pcs warns about an id it cannot find and shows the others; berth refuses
 * (nothing printed, exit 1), as for any bad input.
 */
export function selectResources(all: ResourcesDto, ids: string[]): Selection {
  const parents = parentsOf(all);
  const dto: ResourcesDto = { ...all, primitives: all.primitives.filter((p) => !isStonith(p) || parents.has(p.id)) };
  if (!ids.length) return { dto, parents };
  const known = new Set([...dto.primitives, ...dto.bundles, ...dto.clones, ...dto.groups].map((r) => r.id));
  const problems: Problem[] = [];
  for (const id of ids) {
    if (known.has(id)) continue;
    const stonith = all.primitives.find((p) => p.id === id);
    problems.push(stonith
      ? problem('ID_WRONG_KIND', { path: 'resource', value: id, allowed: 'a resource (not a stonith device)', message: `'${id}' is a stonith device, not a resource` })
      : problem('ID_NOT_FOUND', { path: 'resource', value: id, message: `Unable to find resource '${id}'` }));
  }
  if (problems.length) throw new BerthError(problems);
  const children = new Map<string, string[]>();
  for (const [c, p] of parents) children.set(p, [...(children.get(p) ?? []), c]);
  const chosen = new Set<string>();
  const todo = [...ids];
  while (todo.length) {
    const id = todo.pop()!;
    if (chosen.has(id) || !known.has(id)) continue;
    chosen.add(id);
    todo.push(...(children.get(id) ?? []));
  }
  const pick = <T extends { id: string }>(list: T[]) => list.filter((r) => chosen.has(r.id)).sort((a, b) => pythonCompare(a.id, b.id));
  return {
    dto: { primitives: pick(dto.primitives), clones: pick(dto.clones), groups: pick(dto.groups), bundles: pick(dto.bundles) },
    shown: new Set(ids),
    parents,
  };
}

// ---- text (pcs's resources_to_text) ----

const indent = (lines: string[], step = 2) => lines.map((l) => (l ? ' '.repeat(step) + l : l));

/** pcs's nvset_dto_to_lines for the first set, when it has pairs: pairs sorted by name, then value. */
function nvsetText(label: string, sets: NvsetDto[]): string[] {
  const s = sets[0];
  if (!s || !s.nvpairs.length) return [];
  const heading = [`${label}:${s.id ? ` ${s.id}` : ''}`];
  const options = Object.entries(s.options).sort((a, b) => pythonCompareTuples(a, b));
  if (options.length) heading.push(options.map(nameValue).join(' '));
  const pairs = s.nvpairs.map((p) => [p.name, p.value] as [string, string]).sort(pythonCompareTuples);
  return [heading.join(' '), ...indent([...pairs.map(nameValue), ...(s.rule ? ruleLines(s.rule) : [])])];
}

const description = (d: string | null) => (d ? [`Description: ${d}`] : []);
const cliBool = (b: boolean) => (b ? '1' : '0');

function operationPairs(op: OperationDto): [string, string][] {
  const pairs: [string, string][] = [['interval', op.interval]];
  if (op.id) pairs.push(['id', op.id]);
  if (op.start_delay) pairs.push(['start-delay', op.start_delay]);
  else if (op.interval_origin) pairs.push(['interval-origin', op.interval_origin]);
  if (op.timeout) pairs.push(['timeout', op.timeout]);
  if (op.enabled !== null) pairs.push(['enabled', cliBool(op.enabled)]);
  if (op.record_pending !== null) pairs.push(['record-pending', cliBool(op.record_pending)]);
  if (op.role) pairs.push(['role', op.role]);
  if (op.on_fail) pairs.push(['on-fail', op.on_fail]);
  const level = op.instance_attributes.flatMap((s) => s.nvpairs).find((p) => p.name === 'OCF_CHECK_LEVEL');
  if (level && level.value) pairs.push(['OCF_CHECK_LEVEL', level.value]);
  return pairs;
}

function operationText(op: OperationDto): string[] {
  return [`${op.name}:${op.id ? ` ${op.id}` : ''}`, ...indent(operationPairs(op).filter(([k]) => k !== 'id').map(nameValue))];
}

function agentText(a: AgentNameDto): string {
  return `class=${a.standard}${a.provider ? ` provider=${a.provider}` : ''} type=${a.type}`;
}

function primitiveText(p: PrimitiveDto): string[] {
  const out = [...description(p.description), ...nvsetText('Attributes', p.instance_attributes), ...nvsetText('Meta Attributes', p.meta_attributes), ...nvsetText('Utilization', p.utilization)];
  if (p.operations.length) out.push('Operations:', ...indent(p.operations.flatMap(operationText)));
  return [`Resource: ${p.id} (${agentText(p.agent_name)})`, ...indent(out)];
}

type Lookup = (id: string) => PrimitiveDto | undefined;

function groupText(g: GroupDto, primitive: Lookup): string[] {
  const out = [...description(g.description), ...nvsetText('Attributes', g.instance_attributes), ...nvsetText('Meta Attributes', g.meta_attributes)];
  for (const id of g.member_ids) {
    const p = primitive(id);
    if (p) out.push(...primitiveText(p));
  }
  return [`Group: ${g.id}`, ...indent(out)];
}

function cloneText(c: CloneDto, primitive: Lookup, group: (id: string) => GroupDto | undefined): string[] {
  const out = [...description(c.description), ...nvsetText('Attributes', c.instance_attributes), ...nvsetText('Meta Attributes', c.meta_attributes)];
  const p = primitive(c.member_id);
  const g = group(c.member_id);
  if (p) out.push(...primitiveText(p));
  else if (g) out.push(...groupText(g, primitive));
  return [`Clone: ${c.id}`, ...indent(out)];
}

function containerPairs(o: ContainerOptionsDto): [string, string][] {
  const pairs: [string, string][] = [['image', o.image]];
  if (o.replicas !== null) pairs.push(['replicas', String(o.replicas)]);
  if (o.replicas_per_host !== null) pairs.push(['replicas-per-host', String(o.replicas_per_host)]);
  if (o.promoted_max !== null) pairs.push(['promoted-max', String(o.promoted_max)]);
  if (o.run_command) pairs.push(['run-command', o.run_command]);
  if (o.network) pairs.push(['network', o.network]);
  if (o.options) pairs.push(['options', o.options]);
  return pairs;
}

function networkPairs(n: NetworkDto | null): [string, string][] {
  if (!n) return [];
  const pairs: [string, string][] = [];
  if (n.ip_range_start) pairs.push(['ip-range-start', n.ip_range_start]);
  if (n.control_port !== null) pairs.push(['control-port', String(n.control_port)]);
  if (n.host_interface) pairs.push(['host-interface', n.host_interface]);
  if (n.host_netmask !== null) pairs.push(['host-netmask', String(n.host_netmask)]);
  if (n.add_host !== null) pairs.push(['add-host', cliBool(n.add_host)]);
  return pairs;
}

function portPairs(m: PortMappingDto): [string, string][] {
  const pairs: [string, string][] = [];
  if (m.port !== null) pairs.push(['port', String(m.port)]);
  if (m.internal_port !== null) pairs.push(['internal-port', String(m.internal_port)]);
  if (m.range) pairs.push(['range', m.range]);
  return pairs;
}

function storagePairs(m: StorageMappingDto): [string, string][] {
  const pairs: [string, string][] = [];
  if (m.source_dir) pairs.push(['source-dir', m.source_dir]);
  if (m.source_dir_root) pairs.push(['source-dir-root', m.source_dir_root]);
  pairs.push(['target-dir', m.target_dir]);
  if (m.options) pairs.push(['options', m.options]);
  return pairs;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();

function bundleText(b: BundleDto, primitive: Lookup): string[] {
  const out = [...description(b.description)];
  if (b.container_type && b.container_options) out.push([`${capitalize(b.container_type)}:`, ...containerPairs(b.container_options).map(nameValue)].join(' '));
  const net = networkPairs(b.network);
  if (net.length) out.push(['Network:', ...net.map(nameValue)].join(' '));
  if (b.port_mappings.length) {
    out.push('Port Mapping:', ...indent(b.port_mappings.map((m) => {
      const words = portPairs(m).map(nameValue);
      if (words.length && m.id) words.push(`(${m.id})`);
      return words.join(' ');
    })));
  }
  if (b.storage_mappings.length) out.push('Storage Mapping:', ...indent(b.storage_mappings.map((m) => [...storagePairs(m).map(nameValue), `(${m.id})`].join(' '))));
  out.push(...nvsetText('Meta Attributes', b.meta_attributes));
  const inner = b.member_id ? primitive(b.member_id) : undefined;
  if (inner) out.push(...primitiveText(inner));
  return [`Bundle: ${b.id}`, ...indent(out)];
}

function lookups(dto: ResourcesDto) {
  const primitives = new Map(dto.primitives.map((p) => [p.id, p]));
  const groups = new Map(dto.groups.map((g) => [g.id, g]));
  return { primitive: (id: string) => primitives.get(id), group: (id: string) => groups.get(id) };
}

/** The lines of `pcs resource config`: primitives, groups, clones, bundles (not by document order). */
export function resourcesText(sel: Selection): string[] {
  const { dto, shown, parents } = sel;
  const visible = (id: string) => (shown ? shown.has(id) : !parents.has(id));
  const { primitive, group } = lookups(dto);
  return [
    ...dto.primitives.filter((p) => visible(p.id)).flatMap(primitiveText),
    ...dto.groups.filter((g) => visible(g.id)).flatMap((g) => groupText(g, primitive)),
    ...dto.clones.filter((c) => visible(c.id)).flatMap((c) => cloneText(c, primitive, group)),
    ...dto.bundles.filter((b) => visible(b.id)).flatMap((b) => bundleText(b, primitive)),
  ];
}

// ---- commands (pcs's resources_to_cmd) ----

const words = (list: string[]) => list.map(shellQuote).join(' ');
const pairsCmd = (pairs: [string, string][]) => words(pairs.map(([k, v]) => `${k}=${v}`));

function nvsetCmd(label: string | null, sets: NvsetDto[]): string[] {
  const s = sets[0];
  if (!s || !s.nvpairs.length) return [];
  const options = pairsCmd(s.nvpairs.map((p) => [p.name, p.value]));
  return [label ? `${label} ${options}` : options];
}

function primitiveCmd(p: PrimitiveDto, bundle: string | null): string[][] {
  const stonith = isStonith(p);
  const options = [...nvsetCmd(null, p.instance_attributes)];
  if (p.operations.length) options.push('op', ...indent(p.operations.map((op) => `${op.name} ${pairsCmd(operationPairs(op))}`)));
  options.push(...nvsetCmd('meta', p.meta_attributes));
  if (bundle) options.push(`bundle ${bundle}`);
  const agent = stonith ? p.agent_name.type : [p.agent_name.standard, p.agent_name.provider, p.agent_name.type].filter(Boolean).join(':');
  const out = [[words(['pcs', stonith ? 'stonith' : 'resource', 'create', '--no-default-ops', '--force', '--', p.id, agent]), ...indent(options)]];
  const utilization = nvsetCmd(null, p.utilization);
  if (utilization.length) out.push([words(['pcs', 'resource', 'utilization', p.id]), ...indent(utilization)]);
  return out;
}

function bundleCmd(b: BundleDto, o: ContainerOptionsDto, type: string): string[] {
  const options = [words(['container', type]), ...indent([pairsCmd(containerPairs(o))])];
  const net = pairsCmd(networkPairs(b.network));
  if (net) options.push(`network ${net}`);
  for (const m of b.port_mappings) options.push(`port-map ${pairsCmd(portPairs(m))}`);
  for (const m of b.storage_mappings) options.push(`storage-map ${pairsCmd(storagePairs(m))}`);
  options.push(...nvsetCmd('meta', b.meta_attributes));
  return [words(['pcs', 'resource', 'bundle', 'create', b.id]), ...indent(options)];
}

/** The pcs commands that recreate the resources, each a list of lines. */
export function resourcesCmd(sel: Selection): string[][] {
  const { dto } = sel;
  const { primitive } = lookups(dto);
  const commands: string[][] = [];
  const withBundle = new Set<string>();
  for (const b of dto.bundles) {
    // a bundle without a container (which the schema does not allow) is left out, as pcs does
    if (!b.container_type || !b.container_options) continue;
    commands.push(bundleCmd(b, b.container_options, b.container_type));
    const inner = b.member_id ? primitive(b.member_id) : undefined;
    if (inner) {
      commands.push(...primitiveCmd(inner, b.id));
      withBundle.add(inner.id);
    }
  }
  for (const p of dto.primitives) if (!withBundle.has(p.id)) commands.push(...primitiveCmd(p, null));
  for (const g of dto.groups) {
    commands.push([words(['pcs', 'resource', 'group', 'add', g.id]), ...indent([words(g.member_ids)])]);
    const meta = nvsetCmd(null, g.meta_attributes);
    if (meta.length) commands.push([words(['pcs', 'resource', 'meta', g.id]), ...indent(meta)]);
  }
  for (const c of dto.clones) commands.push([words(['pcs', 'resource', 'clone', c.member_id, c.id]), ...indent(nvsetCmd('meta', c.meta_attributes))]);
  return commands;
}

// ---- the command ----

/** What pcs prints for the format (pcs prints nothing at all, not even a newline, when it is empty). */
export function resourceConfigOutput(cib: Cib, ids: string[], format: OutputFormat): string {
  const sel = selectResources(resourcesDto(cib), ids);
  let out: string;
  if (format === 'json') out = pythonJsonDumps(sel.dto as unknown as PyJson);
  else if (format === 'cmd') out = resourcesCmd(sel).map((c) => c.join(' \\\n')).join(';\n');
  else out = resourcesText(sel).join('\n');
  return out ? out + '\n' : '';
}

/** `resource config [ID...]` in a format; `--json` is berth's own shape and excludes --output-format. */
export const resourceConfigIn = (format: OutputFormat | undefined): ReadCommand => ({ cib, args, flags }) => {
  if (flags.json && format !== undefined) {
    throw new BerthError([problem('OPTION_CONFLICT', { path: '--output-format', value: format, message: "--json and --output-format cannot be used together (--json is berth's own shape, --output-format json pcs's)" })]);
  }
  return flags.json ? berthResourcesJson(cib, args) : resourceConfigOutput(cib, args, format ?? 'text');
};

/** The value of --output-format, checked: pcs's text, cmd or json. */
export function outputFormat(value: string): OutputFormat {
  const f = OUTPUT_FORMATS.find((x) => x === value);
  if (!f) throw new BerthError([problem('OPTION_INVALID_VALUE', { path: '--output-format', value, allowed: OUTPUT_FORMATS.join(', '), message: `Unknown value '${value}' for '--output-format' option. Supported values are: 'cmd', 'json', 'text'` })]);
  return f;
}

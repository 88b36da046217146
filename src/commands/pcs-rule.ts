// A rule inside an attribute set, as pcs 0.11.5 exports it (lib/cib/rule/cib_to_dto.py with the
// "dummy" evaluator its config commands use: every rule's in_effect is UNKNOWN, so no clock) and
// prints it (cli/rule.py rule_expression_dto_to_lines, lib/cib/rule/cib_to_str.py RuleToStr).
import { XmlElement, attrsOf, child, elements } from '../cib/xml';
import { nameValue, pcsQuote, pythonCompareTuples } from './pcs-text';

export interface RuleDateDto { id: string; options: Record<string, string> }
export interface RuleDto {
  id: string;
  type: 'RULE' | 'EXPRESSION' | 'DATE_EXPRESSION' | 'OP_EXPRESSION' | 'RSC_EXPRESSION';
  in_effect: 'UNKNOWN';
  options: Record<string, string>;
  date_spec: RuleDateDto | null;
  duration: RuleDateDto | null;
  expressions: RuleDto[];
  as_string: string;
}

const TYPES: Record<string, RuleDto['type']> = {
  rule: 'RULE', expression: 'EXPRESSION', date_expression: 'DATE_EXPRESSION', op_expression: 'OP_EXPRESSION', rsc_expression: 'RSC_EXPRESSION',
};

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
const primaryRole = (r: string) => (r === 'Master' ? 'Promoted' : r === 'Slave' ? 'Unpromoted' : r);

/** pcs's export_attributes(with_id=False): role values in their primary names. */
function attributes(e: XmlElement): Record<string, string> {
  const out = attrsOf();
  for (const [k, v] of Object.entries(e.attrs)) if (k !== 'id') out[k] = ['role', 'rsc-role', 'with-rsc-role'].includes(k) ? primaryRole(capitalize(v)) : v;
  return out;
}

const sortedPairs = (o: Record<string, string>) => Object.entries(o).sort(pythonCompareTuples).map(nameValue).join(' ');
const parts = (e: XmlElement) => elements(e).filter((c) => c.tag in TYPES);

/** pcs's RuleToStr: the rule as the words that would create it. */
function asString(e: XmlElement): string {
  const a = e.attrs;
  if (e.tag === 'rule') return parts(e).map((c) => (c.tag === 'rule' ? `(${asString(c)})` : asString(c))).join(` ${a['boolean-op'] ?? 'and'} `);
  if (e.tag === 'expression') {
    return ('value' in a ? [a.attribute ?? '', a.operation ?? '', ...('type' in a ? [a.type] : []), pcsQuote(a.value, ' ')] : [a.operation ?? '', a.attribute ?? '']).join(' ');
  }
  if (e.tag === 'date_expression') {
    const spec = child(e, 'date_spec');
    const duration = child(e, 'duration');
    if (a.operation === 'date_spec') return ['date-spec', ...(spec ? [sortedPairs(attributes(spec))] : [])].join(' ');
    if (a.operation === 'in_range') {
      return ['date', 'in_range', ...('start' in a ? [a.start] : []), 'to', ...('end' in a ? [a.end] : []), ...(duration ? ['duration', sortedPairs(attributes(duration))] : [])].join(' ');
    }
    return ['date', a.operation ?? '', ...('start' in a ? [a.start] : []), ...('end' in a ? [a.end] : [])].join(' ');
  }
  if (e.tag === 'op_expression') return ['op', a.name ?? '', ...('interval' in a ? [`interval=${a.interval}`] : [])].join(' ');
  return 'resource ' + ['class', 'provider', 'type'].map((k) => a[k] ?? '').join(':');
}

const dateDto = (e: XmlElement | undefined): RuleDateDto | null => (e ? { id: e.attrs.id ?? '', options: attributes(e) } : null);

export function ruleDto(e: XmlElement): RuleDto {
  return {
    id: e.attrs.id ?? '',
    type: TYPES[e.tag],
    in_effect: 'UNKNOWN',
    options: attributes(e),
    date_spec: e.tag === 'date_expression' ? dateDto(child(e, 'date_spec')) : null,
    duration: e.tag === 'date_expression' ? dateDto(child(e, 'duration')) : null,
    expressions: e.tag === 'rule' ? parts(e).map(ruleDto) : [],
    as_string: asString(e),
  };
}

const indent = (lines: string[]) => lines.map((l) => (l ? `  ${l}` : l));

/** pcs's rule_expression_dto_to_lines (no in-effect labels: the status is UNKNOWN). */
export function ruleLines(r: RuleDto, withIds = false): string[] {
  const id = (x: { id: string }) => (withIds ? [`(id:${x.id})`] : []);
  if (r.type === 'RULE') {
    const heading = ['Rule:', ...Object.entries(r.options).sort(pythonCompareTuples).map(nameValue), ...id(r)].join(' ');
    return [heading, ...indent(r.expressions.flatMap((c) => ruleLines(c, withIds)))];
  }
  if (r.type === 'DATE_EXPRESSION' && r.options.operation === 'date_spec') {
    const spec = ['Date Spec:', ...(r.date_spec ? [...Object.entries(r.date_spec.options).sort(pythonCompareTuples).map(nameValue), ...id(r.date_spec)] : [])].join(' ');
    return [['Expression:', ...id(r)].join(' '), ...indent([spec])];
  }
  if (r.type === 'DATE_EXPRESSION' && r.options.operation === 'in_range' && r.duration) {
    const heading = ['Expression:', 'date', 'in_range', ...('start' in r.options ? [r.options.start] : []), 'to', 'duration', ...id(r)].join(' ');
    return [heading, ...indent([['Duration:', ...Object.entries(r.duration.options).sort(pythonCompareTuples).map(nameValue), ...id(r.duration)].join(' ')])];
  }
  return [['Expression:', r.as_string, ...id(r)].join(' ')];
}

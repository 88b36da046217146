// JSON Schema validation of the JSON form (schemas/cib.schema.json) with ajv, all errors at once.
// Error locations are turned from JSON pointers into CIB paths (/cib/.../bundle[@id='b']/@replicas).
import { Problem, problem } from '../errors/registry';

type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

let compiled: Validate | undefined;

function validator(): Validate {
  if (compiled) return compiled;
  // ajv (25 ms to load) and the schema are loaded on the first check, not at start-up: only JSON
  // input and `cib validate` need them. Deferred here, not in src/cli/lazy.ts: the pure core
  // imports nothing above it.
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  const schema = require('../../schemas/cib.schema.json') as typeof import('../../schemas/cib.schema.json');
  const ajv = new Ajv({ allErrors: true, strict: false });
  compiled = ajv.compile(schema) as Validate;
  return compiled;
}

export function schemaProblems(data: unknown, source = 'input'): Problem[] {
  const v = validator();
  if (v(data)) return [];
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of v.errors ?? []) {
    // if/then wrappers repeat the inner error; keep the informative ones
    if (e.keyword === 'if' || e.keyword === 'allOf') continue;
    const path = cibPath(data, e.instancePath, e.params);
    const value = valueAt(data, e.instancePath);
    const allowed = describeAllowed(e);
    const key = `${path}|${e.keyword}|${allowed}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem('SCHEMA_VIOLATION', { path, value: typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value), allowed, message: `${source}: ${path}: ${e.message ?? e.keyword}${typeof value === 'string' ? ` (got '${value}')` : ''}` }));
  }
  return out;
}

function describeAllowed(e: AjvError): string | undefined {
  const p = e.params;
  if (e.keyword === 'pattern') return `matches ${String(p.pattern)}`;
  if (e.keyword === 'enum') return (p.allowedValues as string[]).join(', ');
  if (e.keyword === 'additionalProperties') return `not '${String(p.additionalProperty)}'`;
  if (e.keyword === 'required') return `has '${String(p.missingProperty)}'`;
  if (e.keyword === 'type') return String(p.type);
  if (e.keyword === 'const') return String(p.allowedValue);
  return undefined;
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur: unknown = data;
  for (const part of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function cibPath(data: unknown, pointer: string, params: Record<string, unknown>): string {
  let cur: unknown = data;
  let out = '';
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const name = (el: unknown) => {
    const o = el as { tag?: unknown; attrs?: Record<string, unknown> };
    if (typeof o?.tag !== 'string') return '?';
    const id = o.attrs && typeof o.attrs.id === 'string' ? `[@id='${o.attrs.id}']` : '';
    return o.tag + id;
  };
  out = '/' + name(cur);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (cur === null || typeof cur !== 'object') break;
    if (part === 'children' && i + 1 < parts.length) {
      cur = ((cur as Record<string, unknown[]>).children ?? [])[Number(parts[++i])];
      out += '/' + name(cur);
    } else if (part === 'attrs') {
      if (i + 1 < parts.length) out += `/@${parts[++i]}`;
      break;
    } else {
      out += `/${part}`;
      cur = (cur as Record<string, unknown>)[part];
    }
  }
  if (params.missingProperty) out += `/@${String(params.missingProperty)}`;
  if (params.additionalProperty) out += `/@${String(params.additionalProperty)}`;
  return out;
}

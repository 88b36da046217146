// Every problem code is documented in docs/errors.md; every code the source emits is registered;
// and every registered code is emitted somewhere in src/ (or listed below with why it is not yet).
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { PROBLEM_CODES } from '../../src/errors/registry';

const root = path.join(__dirname, '..', '..');
const REGISTRY = path.join(root, 'src', 'errors', 'registry.ts');

/**
 * Registered codes no code in src/ emits yet, and why. Asserted both ways: a code that starts being
 * emitted must leave this table, and a code may not be dropped from src/ silently.
 */
const NOT_EMITTED: Record<string, string> = {};

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

const files = sources(path.join(root, 'src')).filter((f) => f !== REGISTRY).map((f) => ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true));

/** Constants that name a code (`const GITOPS_SOURCE_INVALID: ProblemCode = 'GITOPS_SOURCE_INVALID'`), over all of src/. */
const aliases = new Map<string, string>();
for (const sf of files) {
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isStringLiteral(n.initializer)) aliases.set(n.name.text, n.initializer.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

/** A code is written in capitals: `code: 'capacity'` (a scheduler reason) is something else. */
const CODE_SHAPE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/** The codes an expression can produce: its literals and code constants, not what it compares with. */
function codesIn(e: ts.Node): string[] {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return CODE_SHAPE.test(e.text) ? [e.text] : [];
  if (ts.isIdentifier(e)) return aliases.has(e.text) ? [aliases.get(e.text)!] : [];
  if (ts.isBinaryExpression(e) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(e.operatorToken.kind)) return [];
  if (ts.isConditionalExpression(e)) return [...codesIn(e.whenTrue), ...codesIn(e.whenFalse)];
  if (ts.isCallExpression(e)) return [];
  const out: string[] = [];
  ts.forEachChild(e, (c) => { out.push(...codesIn(c)); });
  return out;
}

const calleeName = (e: ts.Expression) => (ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : '');

/**
 * Where a code is made: problem(CODE, …), warning(CODE, …), new Refusal/AgentRefusal(CODE, …),
 * refuse(status, CODE, …), and `code:` / `agentCode:` in an object literal. Code → where.
 */
function emittedCodes(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (codes: string[], sf: ts.SourceFile, n: ts.Node) => {
    const where = `${path.relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
    for (const c of codes) out.set(c, [...(out.get(c) ?? []), where]);
  };
  for (const sf of files) {
    const visit = (n: ts.Node): void => {
      if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && n.arguments?.length) {
        const name = calleeName(n.expression);
        if (['problem', 'warning', 'Refusal', 'AgentRefusal'].includes(name)) add(codesIn(n.arguments[0]), sf, n);
        if (name === 'refuse' && n.arguments.length >= 2) add(codesIn(n.arguments[1]), sf, n);
      }
      if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && ['code', 'agentCode'].includes(n.name.text)) add(codesIn(n.initializer), sf, n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

const emitted = emittedCodes();

t.test('every registered code is documented', async (t) => {
  const doc = fs.readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8');
  for (const code of Object.keys(PROBLEM_CODES)) t.match(doc, `| \`${code}\` |`, `${code} documented`);
});

t.test('every code emitted in src/ is registered', async (t) => {
  t.ok(emitted.size >= 40, `${emitted.size} codes emitted`);
  const unregistered = [...emitted].filter(([c]) => !(c in PROBLEM_CODES)).map(([c, at]) => `${c} (${at.join(', ')})`);
  t.strictSame(unregistered, [], 'no code made up outside the registry');
});

t.test('every registered code is emitted in src/, or listed as not yet with why', async (t) => {
  const silent = Object.keys(PROBLEM_CODES).filter((c) => !emitted.has(c));
  t.strictSame(silent.sort(), Object.keys(NOT_EMITTED).sort(), 'the codes nothing emits are exactly the listed ones');
  t.strictSame(Object.keys(NOT_EMITTED).filter((c) => !(c in PROBLEM_CODES)), [], 'the list names registered codes only');
});

t.test('the scan sees the forms codes are made in', async (t) => {
  // one known site per form, so a scan that stops seeing a form fails here rather than passing
  const seen = (code: string, file: string) => (emitted.get(code) ?? []).some((w) => w.startsWith(file));
  t.ok(seen('AGENT_SCOPE_REFUSED', 'src/agent/scope.ts'), 'code: in an object literal');
  t.ok(seen('GITOPS_SOURCE_UNREACHABLE', 'src/gitops/source.ts'), 'problem(CONSTANT, …)');
  t.ok(seen('AGENT_TERM_STALE', 'src/agent/server.ts'), 'new Refusal(CODE, …)');
  t.ok(seen('NOT_LEADER', 'src/agent/signed-http.ts'), 'refuse(status, e.code ?? CODE, …)');
  t.ok(seen('ENGINE_UNREACHABLE', 'src/controller/apply.ts'), 'problem(cond ? A : B, …)');
  t.notOk(emitted.has('BERTH_STORE'), 'an environment variable is not a code');
});

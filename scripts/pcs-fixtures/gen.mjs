#!/usr/bin/env node
// Golden-fixture generator: records what the REAL pcs does, for berth's tests.
//
// Re-run (from the repository root, on a host with pcs 0.11.5 / Pacemaker 2.1.5
// and the OCF agents from resource-agents installed, e.g. Debian 12):
//
//     node scripts/pcs-fixtures/gen.mjs            # everything (several minutes)
//     node scripts/pcs-fixtures/gen.mjs bundle-up  # only cases whose dir name
//                                                  # contains a filter string
//                                                  # (inputs and README untouched)
//
// For every case of ./cases.mjs it copies the input CIB to a temp file, runs
// each step as `pcs -f <tmpfile> <argv...>` (spawnSync, argv array, no shell),
// records exit code / stdout / stderr and writes test/fixtures/pcs/<NN>-<name>/
// {case.json,input.xml,expected.xml}. The input CIBs of ./cases.mjs INPUTS are
// rebuilt first into test/fixtures/pcs/inputs/. Output is deterministic:
// nothing depends on time or on the temp path (which is replaced by <CIB_FILE>
// should pcs ever print it). The run fails (exit 1) when pcs's behaviour does
// not match a case's expectation (error / success, stderr tokens).
// No dependencies: plain Node >= 18.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CASES, INPUTS } from "./cases.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const OUT = path.join(ROOT, "test", "fixtures", "pcs");
const INPUT_DIR = path.join(OUT, "inputs");
const filters = process.argv.slice(2);
const FULL = filters.length === 0;

const ENV = { ...process.env, LC_ALL: "C.UTF-8", LANG: "C.UTF-8" };
delete ENV.CIB_file;
delete ENV.CIB_shadow;

function run(cmd, args, extraEnv = {}) {
  const r = spawnSync(cmd, args, {
    env: { ...ENV, ...extraEnv },
    encoding: "utf8",
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return r;
}

function requireTool(cmd, args) {
  const r = run(cmd, args);
  if (r.error) {
    const why = r.error.code === "ENOENT" ? "not found in PATH" : r.error.message;
    console.error(
      `gen.mjs: '${cmd}' ${why}. These fixtures must be recorded with the real pcs ` +
        "(pcs 0.11.5, Pacemaker 2.1.5, resource-agents) installed; refusing to run.",
    );
    process.exit(2);
  }
  return (r.stdout + r.stderr).trim();
}

const pcsVersion = requireTool("pcs", ["--version"]).split("\n")[0].trim();
const crmVersion = requireTool("crm_verify", ["--version"]).split("\n")[0].trim();
requireTool("cibadmin", ["--version"]);
const TOOL = `${pcsVersion} / ${crmVersion}`;

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "berth-pcs-fixtures-"));
process.on("exit", () => fs.rmSync(TMP, { recursive: true, force: true }));
const CIB = path.join(TMP, "cib.xml");

const scrub = (s) => s.split(CIB).join("<CIB_FILE>").split(TMP).join("<TMP>");

function pcs(argv) {
  const r = run("pcs", ["-f", CIB, ...argv]);
  if (r.error) throw r.error;
  return { exit: r.status ?? 128, stdout: scrub(r.stdout), stderr: scrub(r.stderr) };
}

function crmVerify(file) {
  const r = run("crm_verify", ["--xml-file", file]);
  if (r.status === 0) return { ok: true, output: "" };
  const v = run("crm_verify", ["-V", "--xml-file", file]); // details of what is wrong
  return { ok: false, output: scrub((v.stdout + v.stderr).trim()).split(file).join("expected.xml") };
}

function cibVersion(xml) {
  const m = /<cib\b[^>]*>/.exec(xml);
  const attr = (n) => (m && new RegExp(`\\b${n}="([^"]*)"`).exec(m[0])?.[1]) ?? "?";
  return `${attr("admin_epoch")}.${attr("epoch")}.${attr("num_updates")}`;
}

const problems = [];

// ---------------------------------------------------------------- empty CIB
const empty = run("cibadmin", ["--empty"]);
if (empty.status !== 0) {
  console.error("gen.mjs: cibadmin --empty failed:\n" + empty.stderr);
  process.exit(1);
}
const EMPTY_XML = empty.stdout;

// ----------------------------------------------------------------- inputs
fs.mkdirSync(INPUT_DIR, { recursive: true });
const inputsMissing = Object.keys(INPUTS).some((n) => !fs.existsSync(path.join(INPUT_DIR, `${n}.xml`)));
if (FULL || inputsMissing) {
  for (const [name, spec] of Object.entries(INPUTS)) {
    fs.writeFileSync(CIB, EMPTY_XML);
    for (const step of spec.steps) {
      const r = step.pcs
        ? run("pcs", ["-f", CIB, ...step.pcs])
        : run("cibadmin", step.cibadmin, { CIB_file: CIB });
      if (r.status !== 0) {
        console.error(`gen.mjs: building input ${name} failed at ${JSON.stringify(step)}:\n${r.stdout}${r.stderr}`);
        process.exit(1);
      }
    }
    const v = crmVerify(CIB);
    if (!v.ok) {
      console.error(`gen.mjs: input ${name} does not pass crm_verify:\n${v.output}`);
      process.exit(1);
    }
    fs.writeFileSync(path.join(INPUT_DIR, `${name}.xml`), fs.readFileSync(CIB));
    console.log(`input ${name}.xml built`);
  }
}

// ------------------------------------------------------------------ cases
const width = Math.max(2, String(CASES.length).length);
const dirNames = CASES.map((c, i) => `${String(i + 1).padStart(width, "0")}-${c.name}`);
{
  const seen = new Set();
  for (const c of CASES) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.name)) throw new Error(`bad case name ${c.name}`);
    if (seen.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    seen.add(c.name);
  }
}

if (FULL) {
  // drop stale case directories (renamed / renumbered cases)
  for (const d of fs.readdirSync(OUT)) {
    if (/^\d+-/.test(d) && !dirNames.includes(d)) fs.rmSync(path.join(OUT, d), { recursive: true });
  }
}

const summary = [];
CASES.forEach((c, i) => {
  const dirName = dirNames[i];
  if (!FULL && !filters.some((f) => dirName.includes(f))) return;
  const input = c.input ?? "empty";
  const inputXml = input === "empty" ? EMPTY_XML : fs.readFileSync(path.join(OUT, input), "utf8");
  const error = Boolean(c.error);
  fs.writeFileSync(CIB, inputXml);

  const steps = [];
  let before = Buffer.from(inputXml);
  for (const argv of c.steps) {
    before = fs.readFileSync(CIB);
    const r = pcs(argv);
    const after = fs.readFileSync(CIB, "utf8");
    steps.push({ argv, exit: r.exit, stdout: r.stdout, stderr: r.stderr, versionAfter: cibVersion(after) });
  }
  const finalBuf = fs.readFileSync(CIB);
  const unchangedOnError = error ? Buffer.compare(before, finalBuf) === 0 : undefined;

  // expectations
  const last = steps[steps.length - 1];
  steps.forEach((s, k) => {
    const isLast = k === steps.length - 1;
    const wantFail = error && isLast;
    if (wantFail ? s.exit === 0 : s.exit !== 0) {
      problems.push(`${dirName}: step ${k} ${JSON.stringify(s.argv)} exit ${s.exit} (expected ${wantFail ? "failure" : "success"})\n${s.stdout}${s.stderr}`);
    }
  });
  for (const tok of c.expectStderrIncludes ?? []) {
    if (!last.stderr.includes(tok)) problems.push(`${dirName}: last stderr lacks ${JSON.stringify(tok)}:\n${last.stderr}`);
  }
  if (error && !unchangedOnError) problems.push(`${dirName}: CIB changed by the failing step`);

  const dir = path.join(OUT, dirName);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "input.xml"), inputXml);
  fs.writeFileSync(path.join(dir, "expected.xml"), finalBuf);
  const v = crmVerify(path.join(dir, "expected.xml"));

  const caseJson = {
    name: c.name,
    description: c.description,
    tool: TOOL,
    input,
    steps,
    error,
    ...(error ? { unchangedOnError } : {}),
    expectStderrIncludes: c.expectStderrIncludes ?? [],
    crmVerify: v.ok,
    ...(v.ok ? {} : { crmVerifyOutput: v.output }),
  };
  fs.writeFileSync(path.join(dir, "case.json"), JSON.stringify(caseJson, null, 2) + "\n");
  summary.push(caseJson);
  console.log(`${dirName}: ${steps.map((s) => s.exit).join(",")}${v.ok ? "" : " (crm_verify fails)"}`);
});

// ----------------------------------------------------------------- README
if (FULL) {
  const esc = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");
  const rows = summary.map((c, i) => {
    const steps = c.steps.map((s) => "`" + esc(s.argv.join(" ")) + "`").join("<br>");
    return `| ${dirNames[i]} | ${c.input} | ${c.error ? "error" : "ok"} | ${c.crmVerify ? "yes" : "no"} | ${esc(c.description)} | ${steps} |`;
  });
  const nErr = summary.filter((c) => c.error).length;
  const readme = `# pcs golden fixtures

Recorded with the real pcs: **${TOOL}** (Debian 12: pcs 0.11.5, Pacemaker 2.1.5,
resource-agents OCF agents in /usr/lib/ocf/resource.d/). ${summary.length} cases, ${nErr} of them error cases.
The behaviour spec distilled from them (and from pcs's source) is in [NOTES.md](NOTES.md).

## Regenerating

\`\`\`
node scripts/pcs-fixtures/gen.mjs            # all cases + inputs + this README (several minutes)
node scripts/pcs-fixtures/gen.mjs FILTER...  # only case dirs containing a filter string
\`\`\`
The cases are defined in \`scripts/pcs-fixtures/cases.mjs\`. The generator refuses to run
without pcs. Output is deterministic; a re-run on the same tool versions gives identical files.
It stops with exit 1 if pcs does not behave as a case expects (error vs. success, stderr tokens,
CIB left unchanged by a failing step).

## Format

\`inputs/*.xml\`: starting CIBs, built by the generator from \`cibadmin --empty\` with
pcs/cibadmin commands (see \`INPUTS\` in cases.mjs); each passes \`crm_verify --xml-file\`.

One directory per case, \`NNN-kebab-name/\` (case number, zero-padded to the width of the case count):
- \`input.xml\` – the starting CIB (\`cibadmin --empty\` output or a copy of \`inputs/<file>.xml\`).
- \`expected.xml\` – the file after all steps, byte for byte as pcs/cibadmin wrote it.
  For an error case this equals the file before the failing (last) step.
- \`case.json\`:
  - \`name\`, \`description\`, \`tool\` (\`<pcs --version> / <crm_verify --version, line 1>\`)
  - \`input\`: \`"empty"\` or \`"inputs/<file>.xml"\`
  - \`steps\`: \`[{ argv, exit, stdout, stderr, versionAfter }]\` – each step ran as
    \`pcs -f FILE <argv...>\`; \`versionAfter\` is \`admin_epoch.epoch.num_updates\` of FILE after the step.
  - \`error\`: the last step is expected to fail (all earlier steps succeed); otherwise all succeed.
  - \`unchangedOnError\` (error cases only): the failing step left FILE byte-identical.
  - \`expectStderrIncludes\`: tokens of pcs's message (last step) that any equivalent message must
    contain (offending value / id / option name...). Also used for warnings in success cases.
  - \`crmVerify\`: whether \`crm_verify --xml-file expected.xml\` passed; \`crmVerifyOutput\` when it did not.

Comparing berth to a fixture: run the same argv with \`berth -f FILE\` starting from \`input.xml\`,
compare exit status (0 vs. non-zero), the resulting XML (semantically: element order, attribute
values; pcs's attribute order and whitespace are documented in NOTES.md) and that stderr contains
every \`expectStderrIncludes\` token.

## Cases

| dir | input | kind | crm_verify | description | steps (\`pcs -f FILE ...\`; argv joined by spaces, exact argv in case.json) |
|---|---|---|---|---|---|
${rows.join("\n")}
`;
  fs.writeFileSync(path.join(OUT, "README.md"), readme);
}

if (problems.length) {
  console.error(`\n${problems.length} expectation problem(s):\n\n` + problems.join("\n\n"));
  process.exit(1);
}
console.log(`done: ${summary.length} case(s) written`);

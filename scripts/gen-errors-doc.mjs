// Writes docs/errors.md from the registry in src/errors/registry.ts (run after adding a code).
import { readFileSync, writeFileSync } from 'node:fs';
const src = readFileSync(new URL('../src/errors/registry.ts', import.meta.url), 'utf8');
const rows = [...src.matchAll(/^\s+([A-Z0-9_]+): '([^']+)',/gm)].map(([, c, d]) => `| \`${c}\` | ${d} |`);
writeFileSync(new URL('../docs/errors.md', import.meta.url), `# Problem codes

Every problem berth reports carries one of these codes (stable: scripts may rely on them), with
\`path\` (the field, an XPath-like CIB path or file:line:col), \`value\`, \`allowed\` and \`message\`.
\`severity\` is \`error\` or \`warning\`; \`forceable: true\` marks errors that \`--force\` turns into
warnings. With \`--json\` they are printed as \`{"problems": [...]}\`.

| code | meaning |
|---|---|
${rows.join('\n')}
`);

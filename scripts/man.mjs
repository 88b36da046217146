// Write man/berth.1 from `berth help --man` (the same tree and texts as --help); a test checks
// the committed page is current. Run after changing a command or its help: node scripts/man.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';

const page = execFileSync(process.execPath, ['bin/berth', 'help', '--man'], { encoding: 'utf8' });
mkdirSync('man', { recursive: true });
writeFileSync('man/berth.1.tmp', page);
renameSync('man/berth.1.tmp', 'man/berth.1');
console.log(`man/berth.1: ${page.split('\n').length} lines`);

// An edit of a CIB file (`-f FILE`, or the file a controller runs with as --cib): load -> lock ->
// edit -> bump epoch -> atomic write, all under the file's lock; nothing is written on error and a
// command that changed nothing writes nothing (as pcs). The live CIB's counterpart is
// cluster-cib.ts `editLive` (compare-and-swap in the store).
import * as fs from 'node:fs';
import { Cib, bumpEpoch, emptyCib, formatCib, parseCib } from '../cib/cib';
import { readTextFile, withFileLock, writeCibFile } from '../cib/cib-file';
import { serializeXml } from '../cib/xml';
import type { EditCommand, EditFlags, EditResult } from './edit';

export function editCibFile(file: string, edit: EditCommand, args: string[], flags: EditFlags): EditResult {
  return withFileLock(file, () => {
    const text = fs.existsSync(file) ? readTextFile(file) : undefined;
    const cib: Cib = text === undefined ? emptyCib() : parseCib(text, file);
    const format = text !== undefined && text.trimStart()[0] === '{' ? 'json' : 'xml';
    const before = serializeXml(cib);
    const result = edit({ cib, args, flags });
    if (result.changed !== false && (text === undefined || serializeXml(cib) !== before)) {
      bumpEpoch(cib);
      writeCibFile(file, formatCib(cib, format));
    }
    return result;
  });
}

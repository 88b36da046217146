// `cib diff` and `cib patch` as library commands: crm_diff's two modes on CIB files. The diff is
// returned as the patch element (Pacemaker's format 2) and as data; applying returns the new CIB.
// Reading and writing files for people, and exit codes, are the CLI's (src/cli/cib-diff-commands.ts).
import { Cib, JsonElement, parseCib, toJson } from '../cib/cib';
import { readTextFile } from '../cib/cib-file';
import { Attrs, XmlComment, XmlElement, SourceIndex, isElement, parseXml } from '../cib/xml';
import { applyPatch } from '../patch/apply';
import { diffCib, diffIsEmpty } from '../patch/diff';
import { AttrChange, formatVersionAttrs, readPatchset } from '../patch/patchset';

export interface CibDiffRequest {
  origFile: string;
  newFile: string;
  /** leave the version attributes out of the comparison and the patch (crm_diff --no-version) */
  noVersion: boolean;
}

export interface CibDiff {
  orig: Cib;
  /** `<diff format="2">`, empty of changes when the files are the same */
  patch: XmlElement;
  same: boolean;
}

/** The patch that turns ORIG into NEW. Throws BerthError for unreadable or malformed files. */
export function diffCibFiles(req: CibDiffRequest): CibDiff {
  // NEW parsed like ORIG: what is the same in both is one subtree, neither read nor diffed twice.
  const origIndex = new SourceIndex();
  const orig = parseCib(readTextFile(req.origFile), req.origFile, { index: origIndex });
  const next = parseCib(readTextFile(req.newFile), req.newFile, { like: origIndex });
  const patch = diffCib(orig, next, { noVersion: req.noVersion });
  return { orig, patch, same: diffIsEmpty(patch) };
}

/** One change of a patch as data (`cib diff --json`). */
export type PatchChangeData =
  | { operation: 'create'; path: string; position: number; node: JsonElement | XmlComment }
  | { operation: 'delete'; path: string; position?: number }
  | { operation: 'move'; path: string; position: number }
  | { operation: 'modify'; path: string; attributes?: AttrChange[]; result?: Attrs };

export interface PatchData {
  differ: boolean;
  /** version attributes as admin_epoch.epoch.num_updates ('?' for a missing one) */
  source?: string;
  target?: string;
  changes: PatchChangeData[];
}

export function patchData(diff: CibDiff): PatchData {
  const ps = readPatchset(diff.patch);
  return {
    differ: !diff.same,
    source: ps.source && formatVersionAttrs(ps.source),
    target: ps.target && formatVersionAttrs(ps.target),
    changes: ps.changes.map((c): PatchChangeData => {
      switch (c.op) {
        case 'create': return { operation: c.op, path: c.path, position: c.position, node: isElement(c.node) ? toJson(c.node) : c.node };
        case 'delete': return c.position === undefined ? { operation: c.op, path: c.path } : { operation: c.op, path: c.path, position: c.position };
        case 'move': return { operation: c.op, path: c.path, position: c.position };
        case 'modify': return { operation: c.op, path: c.path, attributes: c.attrs, result: c.result };
      }
    }),
  };
}

export interface CibPatchRequest {
  origFile: string;
  patchFile: string;
  /** refuse unless ORIG is at the patch's source version and the target is newer (crm_diff --cib) */
  checkVersion: boolean;
}

/** ORIG with PATCH applied; nothing is returned unless every change applies (BerthError lists them). */
export function patchCibFile(req: CibPatchRequest): Cib {
  const orig = parseCib(readTextFile(req.origFile), req.origFile);
  const patch = parseXml(readTextFile(req.patchFile, 'patch file'), req.patchFile);
  return applyPatch(orig, patch, { checkVersion: req.checkVersion });
}

// The gitops problem codes the registry does not have yet. Each maps to the closest existing
// code; when the lead adds them to src/errors/registry.ts, change only the right-hand sides.
import type { ProblemCode } from '../errors/registry';

/** --source / --ref / --path / --name malformed, or the source is neither a git repository nor
 * a directory (lead: add GITOPS_SOURCE_INVALID). */
export const GITOPS_SOURCE_INVALID: ProblemCode = 'OPTION_INVALID_VALUE';
/** The source cannot be read now: git fetch failed, the ref or the directory is gone
 * (lead: add GITOPS_SOURCE_UNREACHABLE). Retried at the next interval. */
export const GITOPS_SOURCE_UNREACHABLE: ProblemCode = 'FILE_NOT_FOUND';
/** A revision was refused: no CIB at the path, or the CIB or its settings are invalid; the
 * problems of the CIB follow it (lead: add GITOPS_REVISION_REFUSED). Nothing was pushed. */
export const GITOPS_REVISION_REFUSED: ProblemCode = 'SCHEMA_VIOLATION';
/** berth-gitops.json in the source is not valid (lead: add GITOPS_SETTINGS_INVALID). */
export const GITOPS_SETTINGS_INVALID: ProblemCode = 'OPTION_INVALID_VALUE';
/** The gitops record in the store is not what berth wrote (lead: add GITOPS_STATE_CORRUPT). */
export const GITOPS_STATE_CORRUPT: ProblemCode = 'STORE_CORRUPT';

// The gitops problem codes (all in the registry, src/errors/registry.ts).
import type { ProblemCode } from '../errors/registry';

/** --source / --ref / --path / --name malformed, or the source is neither a git repository nor a directory. */
export const GITOPS_SOURCE_INVALID: ProblemCode = 'GITOPS_SOURCE_INVALID';
/** The source cannot be read now: git fetch failed, the ref or the directory is gone. Retried at the next interval. */
export const GITOPS_SOURCE_UNREACHABLE: ProblemCode = 'GITOPS_SOURCE_UNREACHABLE';
/** A revision was refused: no CIB at the path, or the CIB or its settings are invalid. Nothing was pushed. */
export const GITOPS_REVISION_REFUSED: ProblemCode = 'GITOPS_REVISION_REFUSED';
/** berth-gitops.json in the source is not valid. */
export const GITOPS_SETTINGS_INVALID: ProblemCode = 'GITOPS_SETTINGS_INVALID';
/** The gitops record in the store is not what berth wrote. */
export const GITOPS_STATE_CORRUPT: ProblemCode = 'GITOPS_STATE_CORRUPT';

// The problem codes of diff/patch (all in the registry, src/errors/registry.ts).
import { ProblemCode } from '../errors/registry';

/** The patch is not a `<diff format="2">` berth can read. */
export const PATCH_MALFORMED: ProblemCode = 'PATCH_MALFORMED';
/** A change names a path that does not exist, or lands elsewhere. */
export const PATCH_DOES_NOT_APPLY: ProblemCode = 'PATCH_DOES_NOT_APPLY';
/** The CIB's version is not the patch's source version. */
export const PATCH_VERSION_MISMATCH: ProblemCode = 'PATCH_VERSION_MISMATCH';
/** A change touches something that changed in the live CIB since the original. */
export const PATCH_CONFLICT: ProblemCode = 'PATCH_CONFLICT';
/** The difference cannot be written as a patch, e.g. different root elements. */
export const PATCH_UNSUPPORTED: ProblemCode = 'PATCH_UNSUPPORTED';

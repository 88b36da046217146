// The problem codes of diff/patch in one place. The registry has no PATCH_* codes yet, so each
// maps to the closest existing one; when the lead adds them, change only the right-hand sides.
import { ProblemCode } from '../errors/registry';

/** The patch is not a `<diff format="2">` berth can read (lead: add PATCH_MALFORMED). */
export const PATCH_MALFORMED: ProblemCode = 'XML_MALFORMED';
/** A change names a path that does not exist, or lands elsewhere (lead: add PATCH_DOES_NOT_APPLY). */
export const PATCH_DOES_NOT_APPLY: ProblemCode = 'ID_NOT_FOUND';
/** The CIB's version is not the patch's source version (lead: add PATCH_VERSION_MISMATCH). */
export const PATCH_VERSION_MISMATCH: ProblemCode = 'VERSION_NOT_NEWER';
/** A change touches something that changed in the live CIB since the original (lead: add PATCH_CONFLICT). */
export const PATCH_CONFLICT: ProblemCode = 'VERSION_NOT_NEWER';
/** The difference cannot be written as a patch, e.g. different root elements (lead: add PATCH_UNSUPPORTED). */
export const PATCH_UNSUPPORTED: ProblemCode = 'CIB_NOT_A_CIB';

// Running the reference tools (pcs, cibadmin, crm_attribute, crm_verify, crm_simulate) for the
// fixture scripts: in the C locale, with extra environment (CIB_file), the scratch directory's
// path shown as <TMP> in what they say, so that recorded messages do not depend on it.
import { spawnSync } from 'node:child_process';

/** A runner whose stderr has `tmp` replaced by <TMP>; throws when the tool cannot be started. */
export function toolRunner(tmp) {
  return (cmd, args, env = {}) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8', ...env } });
    if (r.error) throw r.error;
    return { exit: r.status, stdout: r.stdout, stderr: r.stderr.replaceAll(tmp, '<TMP>') };
  };
}

// Modules the control path loads on first use only, declared in one place: esbuild wraps a
// require()d module in a lazy initialiser, so `berth --help` and the edit commands never load
// ajv (the schema validator) or dockerode.
export const lazy = {
  schema: () => require('../cib/schema') as typeof import('../cib/schema'),
};

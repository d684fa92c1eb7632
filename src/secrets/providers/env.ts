import { SecretError } from '../../errors.js';
import type { SecretProvider } from '../provider.js';

/** env://NAME: another variable of the runner's own environment. */
export const envProvider = {
  scheme: 'env',
  async resolve(ref, ctx) {
    const value = ctx.env[ref.target];
    if (value === undefined) throw new SecretError(`${ref.text}: environment variable ${ref.target} is not set`);
    return value;
  },
} satisfies SecretProvider;

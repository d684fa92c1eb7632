import { readFile } from 'node:fs/promises';
import { SecretError } from '../../errors.js';
import type { SecretProvider } from '../provider.js';

/** file:///PATH: a mounted Kubernetes or Docker secret. One trailing newline is trimmed. */
export const fileProvider = {
  scheme: 'file',
  async resolve(ref) {
    let text: string;
    try {
      text = await readFile(ref.target, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'is a folder'
              : code;
      throw new SecretError(`${ref.text}: cannot read the file: ${why}`);
    }
    return text.replace(/\r?\n$/, '');
  },
} satisfies SecretProvider;

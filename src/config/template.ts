// Reads a data.json template. JSON.parse's own messages quote the text around an error, and a
// data.json can hold a bind password, so errors here give a line and column only.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import type { DataJsonTemplate } from './model.js';

export function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line} column ${column}`;
}

/** Parses JSON; on failure throws an Error whose message has a position but no quoted text. */
export function parseJsonQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec(errorMessage(err));
    // No cause: the parser's message quotes the text, which may hold a secret.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(pos ? `not valid JSON at ${lineColumn(text, Number(pos[1]))}` : 'not valid JSON');
  }
}

export function directoryTypeOf(data: unknown): number | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const t = (data as Record<string, unknown>).directoryType;
  if (typeof t === 'number') return t;
  if (typeof t === 'string' && /^\d$/.test(t)) return Number(t);
  return undefined;
}

export function templateFromText(text: string, origin: string): DataJsonTemplate {
  const data = parseJsonQuietly(text);
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('expected a JSON object');
  return {
    text,
    hash: createHash('sha256').update(text).digest('hex'),
    origin,
    directoryType: directoryTypeOf(data),
  };
}

export function readTemplate(path: string): DataJsonTemplate {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `file "${path}" does not exist` : `cannot read "${path}": ${errorMessage(err)}`,
      { cause: err },
    );
  }
  try {
    return { ...templateFromText(text, path), path };
  } catch (err) {
    throw new Error(`"${path}" is ${errorMessage(err)}`, { cause: err });
  }
}

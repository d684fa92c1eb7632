// Reads a YAML or JSON config file (JSON is YAML), keeping line numbers for every value so that an
// error can say "config.yaml:12".
import { readFileSync } from 'node:fs';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { ConfigError, errorMessage } from '../errors.js';
import { fileSchema, type RawFile } from './schema.js';
import type { Locate, PathKey } from './issues.js';
import { issueLines, validate } from './validate.js';

export interface ParsedConfigFile {
  path: string;
  /** The file's settings, every invalid field left out. */
  raw: RawFile;
  locate: Locate;
  /** One message per invalid field, with file:line. */
  issues: string[];
  /** The fields left out as invalid: later stages say nothing more about them. */
  invalid: PathKey[][];
}

export function locatorFor(doc: Document, lines: LineCounter, file: string): Locate {
  return (path: readonly PathKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return `${file}:${lines.linePos(node.range[0]).line}`;
    }
    return file;
  };
}

export type ParsedYaml = { ok: true; data: unknown; locate: Locate } | { ok: false; issues: string[] };

/** YAML (or JSON) with line numbers kept for messages. Problems name the file and line, never the text. */
export function parseYamlWithLines(text: string, path: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const line = e.pos?.[0] !== undefined ? lines.linePos(e.pos[0]).line : undefined;
      // The parser's own message can quote the offending text; keep only its code and position.
      return `${path}${line ? `:${line}` : ''}: not valid YAML/JSON (${e.code})`;
    });
    return { ok: false, issues };
  }
  try {
    return { ok: true, data: doc.toJS() ?? {}, locate: locatorFor(doc, lines, path) };
  } catch (err) {
    // e.g. an alias to an anchor that does not exist; the message quotes no value.
    return {
      ok: false,
      issues: [`${path}: not valid YAML/JSON (${(err as Error).name}: ${(err as Error).message.slice(0, 120)})`],
    };
  }
}

export function readConfigFile(path: string): ParsedConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path}: cannot be read: ${errorMessage(err)}`);
  }
  const yaml = parseYamlWithLines(text, path);
  if (!yaml.ok) throw new ConfigError(yaml.issues.join('\n'), yaml.issues);
  const { data, locate } = yaml;
  const checked = validate(fileSchema, data);
  return {
    path,
    raw: checked.value ?? {},
    locate,
    issues: issueLines(checked.issues, locate),
    invalid: checked.issues.map((i) => i.path),
  };
}

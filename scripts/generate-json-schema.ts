// Writes config.schema.json from the zod schema in src/config/schema.ts (the single source).
// test/json-schema.test.ts fails when the committed file differs from what this produces.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/schema.js';

export function renderSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../config.schema.json', import.meta.url), renderSchema());
  console.log('wrote config.schema.json');
}

// config.schema.json is generated from src/config/schema.ts; this fails when the two drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderSchema } from '../scripts/generate-json-schema.js';

test('the committed config.schema.json is what the generator produces (run `npm run schema`)', () => {
  assert.equal(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'), renderSchema());
});

test('the schema rejects unknown keys and describes the fields', () => {
  const schema = JSON.parse(renderSchema());
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.instances.items.additionalProperties, false);
  assert.match(schema.properties.instances.items.properties.clientSecret.description, /secret reference/);
});

// config.schema.json is generated from src/config/schema.ts; this fails when the two drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderChartSchema, renderSchema } from '../scripts/generate-json-schema.js';

test('the committed config.schema.json is what the generator produces (run `npm run schema`)', () => {
  assert.equal(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'), renderSchema());
});

test('the schema rejects unknown keys and describes the fields', () => {
  const schema = JSON.parse(renderSchema());
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.instances.items.additionalProperties, false);
  assert.match(schema.properties.instances.items.properties.clientSecret.description, /secret reference/);
});

test("the chart's values.schema.json has the runner's directory and sync blocks (run `npm run schema`)", () => {
  const committed = readFileSync(new URL('../helm/bwdc-runner/values.schema.json', import.meta.url), 'utf8');
  assert.equal(committed, renderChartSchema(committed));
  const chart = JSON.parse(committed);
  const runner = JSON.parse(renderSchema());
  for (const where of [
    chart.properties.defaults.properties,
    chart.properties.instances.additionalProperties.properties,
  ]) {
    assert.deepEqual(
      where.directory.oneOf.map((o: { properties: { type: { const: string } } }) => o.properties.type.const),
      ['ldap', 'entra', 'google', 'okta', 'onelogin'],
    );
    assert.deepEqual(
      Object.keys(where.sync.properties),
      Object.keys(runner.properties.instances.items.properties.sync.properties),
    );
  }
});

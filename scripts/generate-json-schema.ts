// Writes config.schema.json from the zod schema in src/config/schema.ts (the single source), and the
// `directory`, `sync`, `guard`, `notify` and `heartbeat` blocks of the Helm chart's values.schema.json from the same definitions.
// test/json-schema.test.ts fails when either committed file differs from what this produces.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configJsonSchema } from '../src/config/schema.js';
import { directoryBlock, syncBlock } from '../src/directory/schema.js';
import { defaultsSchema } from '../src/config/schema.js';
import { secretSchemes } from '../src/shared/secret-ref.js';

const chartSchemaUrl = new URL('../helm/bwdc-runner/values.schema.json', import.meta.url);

export function renderSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** A block as draft-07 JSON Schema (the chart's dialect), without its own $schema. */
function block(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  return rest;
}

/** The chart's schema with `defaults` and `instances.<name>` taking the runner's directory and sync blocks. */
export function renderChartSchema(current = readFileSync(chartSchemaUrl, 'utf8')): string {
  const schema = JSON.parse(current) as {
    properties: {
      defaults: { properties: Record<string, unknown> };
      instances: { additionalProperties: { properties: Record<string, unknown> } };
    };
  };
  for (const props of [
    schema.properties.defaults.properties,
    schema.properties.instances.additionalProperties.properties,
  ]) {
    // Every instance setting as declared (src/config/schema.ts), so a new one reaches the chart's values with no
    // edit here, but those the chart words itself: a CronJob takes 5-field schedules only, values.yaml's empty (unset)
    // clientId and secrets, a timeout the chart turns into activeDeadlineSeconds (text only), and scheduleKey, which the
    // chart sets (the CronJob name).
    const chartWorded = new Set(['schedule', 'clientId', 'clientSecret', 'directorySecret', 'timeout', 'scheduleKey']);
    for (const [key, setting] of Object.entries(defaultsSchema.shape))
      if (!chartWorded.has(key)) props[key] = block(setting as z.ZodType);
    props.directory = block(directoryBlock);
    props.sync = block(syncBlock);
    props.guard = block(defaultsSchema.shape.guard.unwrap());
    // In the chart, webhook and heartbeat URLs are references only (they carry tokens): never in values.
    const reference = { type: 'string', pattern: `^(${secretSchemes.join('|')})://.+$` };
    const notify = block(defaultsSchema.shape.notify.unwrap()) as {
      items: { properties: Record<string, object> & { url: object; on: object } };
    };
    notify.items.properties.url = { ...notify.items.properties.url, ...reference };
    // Helm reads values as YAML 1.1, where a bare `on:` key is the boolean true: accepted, and read as `on`.
    notify.items.properties.true = {
      ...notify.items.properties.on,
      description: 'An unquoted `on:` as Helm reads it.',
    };
    props.notify = notify;
    props.heartbeat = {
      ...block(defaultsSchema.shape.heartbeat.unwrap()),
      ...reference,
      description: 'A secret reference to the cron-monitoring check URL (healthchecks.io convention).',
    };
  }
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../config.schema.json', import.meta.url), renderSchema());
  writeFileSync(chartSchemaUrl, renderChartSchema());
  console.log('wrote config.schema.json and helm/bwdc-runner/values.schema.json');
}

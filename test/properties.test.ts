// Property-based tests (fast-check) of the parsers that take outside input: the configuration
// loader, the secret reference parser, bwdc's output parser. Random and hostile input gives a
// result or a clear validation error: never a crash, a hang, or a secret in the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '../src/config/load.js';
import { ConfigError, failureClasses } from '../src/errors.js';
import { parseSecretRef, SecretRefSyntaxError } from '../src/shared/secret-ref.js';
import { parseResponse, parseSyncCounts, parseTestReport } from '../src/bwdc/response.js';
import { classifyFailure } from '../src/bwdc/classify.js';
import { parseDuration } from '../src/shared/duration.js';
import { CLIENT_ID, ldapTemplate } from './helpers/fixture.js';

const CANARY = 'Pr0p-CANARY-9f8e7d';
const dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-prop-'));
writeFileSync(join(dir, 'data.json'), JSON.stringify(ldapTemplate));
const runs = Number(process.env.PROPERTY_RUNS ?? 300);

/** Strings that look like what people type, and strings that do not. */
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '*',
    '* * * * * * *',
    '61 * * * *',
    '@hourly',
    '90s',
    '1h30m',
    '-5',
    'NaN',
    'Infinity',
    'null',
    '{}',
    '[]',
    '{"a":',
    'vault://',
    'awssm://x#',
    'file://rel',
    'env://',
    '\u0000',
    '😀',
    'Europe/Berlin',
    'Mars/Base',
    'organization.',
    CLIENT_ID,
  ),
  fc.json(),
);

test('the configuration loader: random environment values give a model or a ConfigError without the secret', () => {
  fc.assert(
    fc.property(
      hostile,
      hostile,
      hostile,
      hostile,
      hostile,
      fc.boolean(),
      (schedule, tz, timeout, clientId, dataJson, inlineSecret) => {
        const secret = inlineSecret ? `${CANARY}${schedule}` : `weird://${CANARY}`;
        const env = {
          BWDC_SCHEDULE: schedule,
          TZ: tz,
          BWDC_TIMEOUT: timeout,
          BW_CLIENTID: clientId,
          BW_CLIENTSECRET: secret,
          BWDC_DATA_JSON: dataJson || join(dir, 'data.json'),
          BWDC_STATE_DIR: dir,
        };
        try {
          const c = loadConfig(env, { cwd: dir });
          assert.equal(c.instances.length, 1);
        } catch (err) {
          assert.ok(err instanceof ConfigError, `not a ConfigError: ${(err as Error)?.stack}`);
          assert.ok(!err.message.includes(CANARY), `secret in message: ${err.message}`);
          assert.ok(err.issues.length >= 1);
        }
      },
    ),
    { numRuns: runs },
  );
});

test('the configuration loader: random YAML/JSON files give a model or a ConfigError', () => {
  const file = join(dir, 'config.yaml');
  const values = fc.oneof(hostile, fc.integer(), fc.boolean(), fc.constant(null));
  const instance = fc.record(
    {
      name: hostile,
      dataJson: fc.oneof(fc.constant(join(dir, 'data.json')), hostile, fc.object()),
      schedule: values,
      clientId: fc.oneof(fc.constant(CLIENT_ID), hostile),
      clientSecret: fc.oneof(fc.constant(`${CANARY}-x`), hostile),
      timeout: values,
    },
    { requiredKeys: [] },
  );
  const doc = fc.oneof(
    fc.string(),
    fc
      .record(
        {
          defaults: fc.dictionary(fc.string(), values),
          instances: fc.array(instance, { maxLength: 4 }),
          concurrency: values,
          stateDir: values,
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
    fc
      .array(instance, { maxLength: 3 })
      .map((is) => `instances:\n${is.map((i) => `  - ${JSON.stringify(i)}`).join('\n')}\n`),
  );
  fc.assert(
    fc.property(doc, (text) => {
      writeFileSync(file, text);
      try {
        loadConfig({}, { configPath: file, cwd: dir });
      } catch (err) {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${(err as Error)?.stack}`);
        assert.ok(!err.message.includes(CANARY), err.message);
      }
    }),
    { numRuns: runs },
  );
});

test('the secret reference parser: a reference, a literal, or a syntax error that never echoes the input', () => {
  const scheme = fc.constantFrom('vault', 'awssm', 'file', 'env', 'VAULT', 'smb', 'http', 'x+y.z');
  const ref = fc.oneof(
    hostile,
    fc.tuple(scheme, fc.string(), fc.string()).map(([s, a, b]) => `${s}://${a}${CANARY}${b}`),
    fc.tuple(scheme, fc.string(), fc.string()).map(([s, a, b]) => `${s}://${a}?${b}#${CANARY}`),
  );
  fc.assert(
    fc.property(ref, (input) => {
      try {
        const r = parseSecretRef(input);
        if (r.kind === 'literal') assert.equal(r.value, input);
        else assert.equal(r.text, input);
      } catch (err) {
        assert.ok(err instanceof SecretRefSyntaxError, String(err));
        assert.ok(!err.message.includes(CANARY), err.message);
      }
    }),
    { numRuns: runs * 3 },
  );
});

test("bwdc's output parser and classifier take anything without throwing", () => {
  const output = fc.oneof(
    fc.string(),
    fc.json(),
    fc
      .record(
        {
          success: fc.oneof(fc.boolean(), fc.string()),
          message: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          data: fc.oneof(fc.object(), fc.constant(null), fc.string()),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
    fc.array(fc.string()).map((lines) => lines.join('\n')),
  );
  fc.assert(
    fc.property(output, output, fc.boolean(), (stdout, stderr, timedOut) => {
      const r = parseResponse(stdout);
      if (r) assert.equal(typeof r.success, 'boolean');
      parseSyncCounts(r?.message);
      parseTestReport(r?.data);
      const cls = classifyFailure({ message: r?.message ?? stdout, stderr, timedOut, signal: null });
      assert.ok((failureClasses as readonly string[]).includes(cls));
    }),
    { numRuns: runs * 3 },
  );
});

test('durations: anything parses to a non-negative number or undefined, quickly', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^(\d{1,20}(ms|s|m|h|d)){1,50}$/), fc.double()), (input) => {
      const ms = parseDuration(input);
      if (ms !== undefined) assert.ok(Number.isFinite(ms) && ms >= 0, `${String(input)} -> ${ms}`);
    }),
    { numRuns: runs * 3 },
  );
});

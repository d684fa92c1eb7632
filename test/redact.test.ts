// The redactor in a long-running process: expiring values (organization tokens) are forgotten a while
// after they expire, values that never expire stay, and masking stays longest-first whatever the order
// values arrive in (docs/scheduler.md; the heap over a long soak is measured in bench/soak.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FORGET_AFTER_EXPIRY_MS, Redactor } from '../src/observability/redact.js';

test('a token is masked until a while after it expires, then forgotten; a secret without expiry stays', () => {
  let now = 1_000_000;
  const r = new Redactor(() => now);
  r.add('client-secret-value');
  r.add('eyJ.token-one.sig', now + 3_600_000);
  assert.equal(r.scrub('a eyJ.token-one.sig b client-secret-value'), 'a [REDACTED] b [REDACTED]');
  now += 3_600_000 + FORGET_AFTER_EXPIRY_MS - 1;
  assert.equal(r.scrub('eyJ.token-one.sig'), '[REDACTED]', 'still masked just before it is forgotten');
  now += 2;
  assert.equal(r.scrub('eyJ.token-one.sig'), 'eyJ.token-one.sig');
  assert.equal(r.size, 1);
  assert.equal(r.isSecret('eyJ.token-one.sig'), false);
  assert.equal(r.scrub('client-secret-value'), '[REDACTED]');
});

test('one new token per lifetime: the redactor holds a bounded number of values however long it runs', () => {
  let now = 0;
  const r = new Redactor(() => now);
  const lifetime = 10_000;
  const sizes: number[] = [];
  for (let i = 0; i < 5_000; i++) {
    r.add(`eyJ.token-${i}.signature`, now + lifetime);
    now += lifetime;
    sizes.push(r.size);
  }
  const bound = Math.ceil(FORGET_AFTER_EXPIRY_MS / lifetime) + 2;
  assert.ok(Math.max(...sizes) <= bound, `at most ${bound} live, saw ${Math.max(...sizes)}`);
});

test('a value registered again with a later expiry is kept until the later one', () => {
  let now = 0;
  const r = new Redactor(() => now);
  r.add('shared-value', 1_000);
  r.add('shared-value', 100_000);
  now = 1_000 + FORGET_AFTER_EXPIRY_MS + 1;
  assert.equal(r.scrub('shared-value'), '[REDACTED]');
});

test('longest first whatever the order of adds: masking equals the reference (all strings, sorted once)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 4, maxLength: 12 }), { maxLength: 30 }),
      fc.string(),
      (values, filler) => {
        const r = new Redactor(() => 0);
        for (const v of values) r.add(v);
        const text = values.join(filler);
        const needles = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]))]
          .filter(Boolean)
          .sort((a, b) => b.length - a.length);
        let expected = text;
        for (const n of needles) if (expected.includes(n)) expected = expected.split(n).join('[REDACTED]');
        assert.equal(r.scrub(text), expected);
      },
    ),
  );
});

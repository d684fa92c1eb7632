// `H` in a schedule (as Jenkins has it): a value derived from a key, so that many instances written
// "H * * * *" start at different minutes, and always the same one for the same key. The runner resolves it
// (config/normalize.ts); the Helm chart computes the same for a CronJob, which needs a concrete schedule
// (helm/bwdc-runner/templates/_helpers.tpl "bwdc-runner.schedule", compared in test/chart-config.test.ts).
// The hash is Adler-32 of the key's UTF-8 bytes, as Helm's `adler32sum`.

/** Adler-32 (RFC 1950) of the text's UTF-8 bytes, as an unsigned number. */
export function adler32(text: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/**
 * The schedule with `H` resolved from `key`: `H` as the minute (hash mod 60) or the hour (hash / 60 mod 24),
 * `H/N` as the minute (hash mod N, every N). Anything else with an H is a problem (a string), not guessed.
 */
export function resolveH(schedule: string, key: string): { schedule: string } | { problem: string } {
  // H as a word of its own: the H of a weekday name (THU, MON-THU) is the cron library's.
  const hasH = (field: string) => /\bH\b/.test(field);
  if (!hasH(schedule)) return { schedule };
  const fields = schedule.trim().split(/\s+/);
  const hash = adler32(key);
  const out = fields.map((f, i) => {
    if (f === 'H' && i === 0) return String(hash % 60);
    if (f === 'H' && i === 1) return String(Math.floor(hash / 60) % 24);
    const step = /^H\/(\d+)$/.exec(f);
    if (step && i === 0 && Number(step[1]) > 0) return `${hash % Number(step[1])}/${step[1]}`;
    return f;
  });
  if (fields.length !== 5 || out.some(hasH))
    return {
      problem: 'H is taken in a 5-field schedule as the minute (H, H/N) or the hour (H), e.g. "H */6 * * *"',
    };
  return { schedule: out.join(' ') };
}

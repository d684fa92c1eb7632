// Every resolved secret value is registered here, and every log line, error message and copied
// bwdc output passes through scrub() before it leaves the process. Values are matched as written,
// JSON-escaped (a log line is JSON) and URL-encoded (bwdc echoes form bodies in some errors).

const MASK = '[REDACTED]';
/**
 * Shorter values are not masked: replacing every "1" or "ab" would garble each log line (timestamps,
 * counts, JSON) while hiding nothing worth hiding. The resolver warns when it meets one.
 */
export const MIN_MASKED_LENGTH = 4;

export class Redactor {
  private needles: string[] = [];
  private readonly seen = new Set<string>();

  /** False when the value is too short to be masked (see MIN_MASKED_LENGTH). */
  add(value: string | undefined): boolean {
    if (!value) return true;
    if (value.length < MIN_MASKED_LENGTH) return false;
    if (this.seen.has(value)) return true;
    this.seen.add(value);
    const variants = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
    for (const v of variants) if (v.length > 0) this.needles.push(v);
    // Longest first, so a secret that contains another is masked whole.
    this.needles.sort((a, b) => b.length - a.length);
    return true;
  }

  /** Whether the value is one of the registered secrets, exactly. */
  isSecret(value: string): boolean {
    return this.seen.has(value);
  }

  scrub(text: string): string {
    if (this.needles.length === 0) return text;
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(MASK);
    return out;
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * The process's redactor. One per process on purpose: a secret resolved for one instance must be
 * masked in every line the process writes, whichever logger or error path writes it.
 */
export const redactor = new Redactor();

// Every resolved secret value is registered here, and every log line, error message and copied
// bwdc output passes through scrub() before it leaves the process. Values are matched as written,
// JSON-escaped (a log line is JSON) and URL-encoded (bwdc echoes form bodies in some errors).
// A value that expires (an organization token) is forgotten a while after it expired, so a long-running
// `schedule` holds the live secrets only: a bounded list, kept longest first by inserting each new
// string in place (no sort per add); each line costs one substring search per live string.

const MASK = '[REDACTED]';
/**
 * Shorter values are not masked: replacing every "1" or "ab" would garble each log line (timestamps,
 * counts, JSON) while hiding nothing worth hiding. The resolver warns when it meets one.
 */
export const MIN_MASKED_LENGTH = 4;

/** How long an expired value is still masked: a line written just after it expired may still carry it. */
export const FORGET_AFTER_EXPIRY_MS = 60_000;

export class Redactor {
  /** The strings masked, longest first, so a secret that contains another is masked whole. */
  private needles: string[] = [];
  /** How many registered values each needle stands for (two values can share one form). */
  private readonly uses = new Map<string, number>();
  /** Each registered value and when it may be forgotten (Infinity: never). */
  private readonly values = new Map<string, number>();
  private nextForget = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Registers a value (until `expiresAt`, ms since the epoch, plus FORGET_AFTER_EXPIRY_MS; default:
   * for the life of the process). False when the value is too short to be masked (MIN_MASKED_LENGTH).
   */
  add(value: string | undefined, expiresAt = Infinity): boolean {
    if (!value) return true;
    if (value.length < MIN_MASKED_LENGTH) return false;
    this.forgetExpired();
    const forgetAt = expiresAt + FORGET_AFTER_EXPIRY_MS;
    const known = this.values.get(value);
    if (known !== undefined) {
      if (forgetAt > known) this.values.set(value, forgetAt);
      return true;
    }
    this.values.set(value, forgetAt);
    this.nextForget = Math.min(this.nextForget, forgetAt);
    for (const v of variantsOf(value)) {
      const n = this.uses.get(v) ?? 0;
      this.uses.set(v, n + 1);
      if (n === 0) this.needles.splice(this.positionFor(v.length), 0, v);
    }
    return true;
  }

  /** Whether the value is one of the registered secrets, exactly. */
  isSecret(value: string): boolean {
    return this.values.has(value);
  }

  scrub(text: string): string {
    this.forgetExpired();
    if (this.needles.length === 0) return text;
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(MASK);
    return out;
  }

  /** Values registered and not yet forgotten. */
  get size(): number {
    return this.values.size;
  }

  /** The first index whose needle is shorter than `length` (binary search over the longest-first list). */
  private positionFor(length: number): number {
    let lo = 0;
    let hi = this.needles.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.needles[mid]!.length >= length) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops the values past their time; one pass over the list, only when one is due. */
  private forgetExpired(): void {
    const now = this.now();
    if (now < this.nextForget) return;
    let next = Infinity;
    const dropped = new Set<string>();
    for (const [value, forgetAt] of this.values) {
      if (forgetAt > now) {
        next = Math.min(next, forgetAt);
        continue;
      }
      this.values.delete(value);
      for (const v of variantsOf(value)) {
        const n = (this.uses.get(v) ?? 1) - 1;
        if (n > 0) this.uses.set(v, n);
        else {
          this.uses.delete(v);
          dropped.add(v);
        }
      }
    }
    this.nextForget = next;
    if (dropped.size) this.needles = this.needles.filter((n) => !dropped.has(n));
  }
}

function variantsOf(value: string): Set<string> {
  const variants = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  variants.delete('');
  return variants;
}

/**
 * The process's redactor. One per process on purpose: a secret resolved for one instance must be
 * masked in every line the process writes, whichever logger or error path writes it.
 */
export const redactor = new Redactor();

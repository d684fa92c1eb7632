// The admin endpoints' bearer token (docs/operations.md "Admin endpoints"): read from BWDC_ADMIN_TOKEN_FILE,
// read again whenever the file changes (a rotated Kubernetes Secret replaces it), compared in constant
// time (SHA-256 of both sides, so the length leaks nothing either), and registered with the redactor so
// it can never reach a log line or a page.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { redactor } from './redact.js';

export type Verdict = 'ok' | 'unauthorized';

export class AdminToken {
  private stamp = '';
  private digest: Buffer | undefined;
  private problem: string | undefined;

  constructor(readonly path: string) {}

  /** Why no token can be checked now (unreadable or empty file), or undefined. */
  get trouble(): string | undefined {
    this.refresh();
    return this.problem;
  }

  check(authorization: string | undefined): Verdict {
    this.refresh();
    const given = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!given || !this.digest) return 'unauthorized';
    return timingSafeEqual(sha256(given), this.digest) ? 'ok' : 'unauthorized';
  }

  private refresh(): void {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      this.stamp = '';
      this.digest = undefined;
      this.problem = `${this.path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`;
      return;
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      const token = readFileSync(this.path, 'utf8').trim();
      if (token.length < 16) throw new Error('shorter than 16 characters');
      redactor.add(token);
      this.digest = sha256(token);
      this.problem = undefined;
    } catch (err) {
      this.digest = undefined;
      this.problem = `${this.path}: ${(err as Error).message}`;
    }
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

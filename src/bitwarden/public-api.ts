// The Bitwarden Public API, read with the organization token the runner already holds (the API key acts
// as an owner): members, groups with their members, the subscription (docs/upstream/bitwarden-server.md
// "Public API"). For `plan` and the import gate. Every request has a timeout and is retried on network
// errors, 5xx and 429 with backoff, or after the server's Retry-After when it sends one; 401/403/404 are
// not (404: a wrong URL, class config). The member ids of the groups (one request per group) are read a few
// at a time (docs/guard-rails.md "Cost"). Errors name the URL and the status, never the token.
import pLimit from 'p-limit';
import { retry } from '../shared/retry.js';
import { failureReason, httpRequest, type HttpReply } from '../shared/http.js';
import { BitwardenError, failureOfStatus } from './request-error.js';
import { serviceUrlOf } from '../shared/service-urls.js';

export interface OrgMember {
  id: string;
  /** null until the invitation is accepted: no account, so no master password. */
  userId?: string | null;
  email: string;
  /** Invited 0, Accepted 1, Confirmed 2, Staged 3, Revoked -1. */
  status: number;
  /** Owner 0, Admin 1, User 2, Custom 4. */
  type: number;
  externalId: string | null;
}

export interface OrgGroup {
  id: string;
  name: string;
  externalId: string | null;
  memberIds: string[];
}

export interface OrgSubscription {
  seats: number | null;
  maxAutoScaleSeats: number | null;
}

/** Who is in the organization and which groups it has, without the groups' members: what a verification reads. */
export interface Roster {
  members: OrgMember[];
  groups: Array<Omit<OrgGroup, 'memberIds'>>;
}

export interface OrganizationState {
  members: OrgMember[];
  groups: OrgGroup[];
  /** undefined: the server offers no subscription (self-hosted). */
  subscription: OrgSubscription | undefined;
  selfHosted: boolean;
}

export interface PublicApiOptions {
  /** The API base: environmentUrls.api, else <base>/api, else https://api.bitwarden.com. */
  apiUrl: string;
  accessToken: string;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  /** Requests in flight at once (the groups' member ids); default 8. */
  concurrency?: number;
  signal?: AbortSignal;
}

/** A Retry-After of seconds or an HTTP date, in ms, capped at two minutes; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(seconds) ? Math.min(Math.max(0, seconds), 120_000) : undefined;
}

/** A refused or failed answer, with the wait the server asked for. */
class ReplyError extends BitwardenError {
  constructor(
    message: string,
    failureClass: BitwardenError['failureClass'],
    readonly waitMs: number | undefined,
  ) {
    super(message, failureClass);
  }
}

/** Where bwdc sends API requests for a data.json. */
export function apiUrlOf(data: Record<string, unknown>): string {
  return serviceUrlOf(data, 'api');
}

export class PublicApi {
  /** Requests made, for `check` and the tests. */
  requests = 0;

  constructor(private readonly o: PublicApiOptions) {}

  private get(path: string): Promise<HttpReply> {
    const url = `${this.o.apiUrl}/public${path}`;
    return retry(
      async () => {
        const timeout = AbortSignal.timeout(this.o.timeoutMs ?? 30_000);
        const signal = this.o.signal ? AbortSignal.any([this.o.signal, timeout]) : timeout;
        let res: HttpReply;
        try {
          this.requests++;
          res = await httpRequest({
            method: 'GET',
            url,
            signal,
            headers: { Authorization: `Bearer ${this.o.accessToken}`, Accept: 'application/json' },
          });
        } catch (err) {
          if (this.o.signal?.aborted) throw err;
          throw new BitwardenError(
            `request to ${url} failed, reason: ${failureReason(err, timeout.aborted)}`,
            'network',
          );
        }
        if (res.status < 300 || res.status === 400) return res;
        // As for the identity request (identity.ts): a 404 or an unfollowed redirect is not the Public API.
        if (res.status === 404 || res.status < 400)
          throw new BitwardenError(
            `${url} answered HTTP ${res.status}: not the Bitwarden Public API; check the server URL ` +
              '(BW_SERVER, server: or data.json environmentUrls)',
            'config',
          );
        throw new ReplyError(
          `${url} answered HTTP ${res.status}`,
          failureOfStatus(res.status),
          retryAfterMs(res.retryAfter),
        );
      },
      (err) => err instanceof BitwardenError && (err.failureClass === 'network' || err.failureClass === 'server'),
      {
        retries: this.o.retries ?? 2,
        baseMs: this.o.backoffMs ?? 500,
        maxMs: 10_000,
        signal: this.o.signal,
        waitOf: (err) => (err instanceof ReplyError ? err.waitMs : undefined),
      },
    );
  }

  private async json<T>(path: string): Promise<T> {
    const res = await this.get(path);
    if (res.status === 400)
      throw new BitwardenError(`${this.o.apiUrl}/public${path} answered HTTP 400: ${messageOf(res.text)}`, 'server');
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new BitwardenError(`${this.o.apiUrl}/public${path} answered without JSON`, 'server');
    }
  }

  /** The organization as an import will meet it: members, groups with member ids, seats. */
  async organization(): Promise<OrganizationState> {
    const limit = pLimit(this.o.concurrency ?? 8);
    const [{ members, groups: groupList }, sub] = await Promise.all([
      this.roster(),
      this.get('/organization/subscription'),
    ]);
    // Only groups an import can touch (matched by externalId) need their members.
    const groups: OrgGroup[] = await Promise.all(
      groupList.map((g) =>
        limit(async () => ({
          ...g,
          memberIds: g.externalId ? await this.json<string[]>(`/groups/${encodeURIComponent(g.id)}/member-ids`) : [],
        })),
      ),
    );
    let subscription: OrgSubscription | undefined;
    let selfHosted = false;
    if (sub.status === 400) selfHosted = /self hosted/i.test(messageOf(sub.text));
    else {
      const pm = (JSON.parse(sub.text) as { passwordManager?: OrgSubscription }).passwordManager;
      subscription = { seats: pm?.seats ?? null, maxAutoScaleSeats: pm?.maxAutoScaleSeats ?? null };
    }
    return { members, groups, subscription, selfHosted };
  }

  /**
   * Members and groups, two requests: what a verification needs (plan/verify.ts), without the one request per
   * group for its members and the subscription that planning reads.
   */
  async roster(): Promise<Roster> {
    const [memberList, groupList] = await Promise.all([
      this.json<{ data: OrgMember[] }>('/members'),
      this.json<{ data: Array<Omit<OrgGroup, 'memberIds'>> }>('/groups'),
    ]);
    return {
      members: memberList.data.map((m) => ({
        id: m.id,
        userId: m.userId,
        email: m.email,
        status: m.status,
        type: m.type,
        externalId: m.externalId || null,
      })),
      groups: groupList.data.map((g) => ({ id: g.id, name: g.name, externalId: g.externalId || null })),
    };
  }
}

function messageOf(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    return typeof message === 'string' ? message.slice(0, 200) : 'no message';
  } catch {
    return 'no message';
  }
}

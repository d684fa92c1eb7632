// Reads bwdc's `--response` output: one JSON object on stdout, {"success":true,"data":{...}} or
// {"success":false,"message":"..."}. Anything else (a crash, a stack trace) is "no response".

export interface BwdcResponse {
  success: boolean;
  message: string | undefined;
  data: Record<string, unknown> | undefined;
}

function asResponse(v: unknown): BwdcResponse | undefined {
  if (!v || typeof v !== 'object' || typeof (v as { success?: unknown }).success !== 'boolean') return undefined;
  const o = v as { success: boolean; message?: unknown; data?: unknown };
  const data = o.data && typeof o.data === 'object' ? (o.data as Record<string, unknown>) : undefined;
  const message =
    typeof o.message === 'string' ? o.message : typeof data?.message === 'string' ? data.message : undefined;
  return { success: o.success, message, data };
}

export function parseResponse(stdout: string): BwdcResponse | undefined {
  const whole = stdout.trim();
  if (!whole) return undefined;
  try {
    return asResponse(JSON.parse(whole));
  } catch {
    /* debug lines before the JSON: look at the lines from the end */
  }
  const lines = whole.split('\n');
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 50; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    try {
      const r = asResponse(JSON.parse(line));
      if (r) return r;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** "Synced 2 group(s) and 3 user(s)." -> counts. */
export function parseSyncCounts(message: string | undefined): { groups: number; users: number } | undefined {
  const m = /Synced (\d+) group\(s\) and (\d+) user\(s\)/.exec(message ?? '');
  return m ? { groups: Number(m[1]), users: Number(m[2]) } : undefined;
}

/** A directory user as `bwdc test` lists it: displayName is the email, or a reference id when it has none. */
export interface TestUser {
  externalId: string;
  displayName: string;
}
export interface TestGroup {
  externalId: string;
  displayName: string;
  /** The externalIds of its users. */
  userIds: string[];
}
export interface TestReport {
  groups: TestGroup[];
  enabledUsers: TestUser[];
  disabledUsers: TestUser[];
  deletedUsers: TestUser[];
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export function parseTestReport(data: Record<string, unknown> | undefined): TestReport | undefined {
  if (!data || data.object !== 'test') return undefined;
  const list = (k: string) => (Array.isArray(data[k]) ? (data[k] as Array<Record<string, unknown>>) : []);
  const users = (k: string): TestUser[] =>
    list(k).map((u) => ({ externalId: text(u?.externalId), displayName: text(u?.displayName) }));
  return {
    groups: list('groups').map((g) => ({
      externalId: text(g?.externalId),
      displayName: text(g?.displayName),
      userIds: Array.isArray(g?.userIds) ? (g.userIds as unknown[]).map(text) : [],
    })),
    enabledUsers: users('enabledUsers'),
    disabledUsers: users('disabledUsers'),
    deletedUsers: users('deletedUsers'),
  };
}

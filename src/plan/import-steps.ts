// The steps of one import request that change members, in the server's order
// (ImportOrganizationUsersAndGroupsCommand.ImportAsync; plan/compute.ts runs them and says where each is).
// Each adds what it does to the plan and applies it to the model; a step that returns false failed the
// request (plan.failure says why), what came before it done, as on the server.
import { Owner, Status, type ModelMember, type OrgModel } from './org-model.js';
import type { ImportRequest } from './bwdc-import.js';
import type { Plan, RemovalReason } from './plan-types.js';

type Live = ReadonlyArray<{ email: string; externalId: string }>;

/** What the steps of one request share. */
export interface ImportStep {
  model: OrgModel;
  plan: Plan;
  /** The externalIds the request imports live. */
  imported: ReadonlySet<string>;
  /** ExternalIds this request removed: still in the server's dictionary (see removeExistingExternalUsers). */
  ghosts: Set<string>;
}

const overwriteRefused =
  "Sync failed. To proceed, disable the 'Remove and re-add users during next sync' setting and try again.";

function drop({ model, plan }: ImportStep, m: ModelMember, reason: RemovalReason): void {
  model.remove(m);
  plan.remove.push({ email: m.email, externalId: m.externalId ?? '', reason });
}

/** RemoveExistingExternalUsers: deleted members, unless also imported live; never Owners; any status. */
export function removeExistingExternalUsers(
  step: ImportStep,
  members: NonNullable<ImportRequest['members']>,
  hints: { disabled?: ReadonlySet<string> },
): void {
  for (const d of members) {
    if (!d.deleted || step.imported.has(d.externalId)) continue;
    const m = step.model.byExternal.get(d.externalId);
    if (m && m.type !== Owner) {
      drop(step, m, hints.disabled?.has(d.externalId) ? 'disabled' : 'deleted');
      step.ghosts.add(d.externalId);
    }
  }
}

/**
 * OverwriteExisting: every non-owner with an externalId not imported; refused as a whole when one of
 * them has no master password (an Invited or Staged member has no account; SSO/TDE users neither).
 */
export function overwriteExisting(step: ImportStep, externalAtStart: readonly ModelMember[]): boolean {
  const { model, plan, imported, ghosts } = step;
  const doomed = externalAtStart.filter((m) => m.type !== Owner && !imported.has(m.externalId!));
  const noAccount = doomed.filter(
    (m) => m.status === Status.invited || m.status === Status.staged || m.userId === null,
  );
  if (noAccount.length) {
    plan.failure = overwriteRefused;
    plan.notes.push(
      `The server refuses the overwrite: ${noAccount.length} member(s) it would remove have no master password ` +
        `(invited or staged, no account yet): ${sample(noAccount.map((m) => m.email))}. ` +
        'The deleted members above are removed before that.',
    );
    return false;
  }
  for (const m of doomed) {
    ghosts.delete(m.externalId!);
    if (model.byId.has(m.id)) drop(step, m, 'overwrite');
  }
  if (doomed.length)
    plan.notes.push(
      'overwriteExisting: a removed member who signs in with SSO and trusted devices (no master password) ' +
        'makes the server refuse the whole import; the Public API does not say who does.',
    );
  return true;
}

/**
 * UpdateExistingUsers: members without an externalId are linked by email; the new externalId is added
 * to the server's dictionary, which throws on one it already holds (an email change whose new address
 * was invited by hand), and then none of the links is saved (they are saved after the loop).
 * The email dictionary is keyed by the email as stored and compared exactly, the import's are lowercased:
 * a member stored as "Alice@corp.example" is not linked (and, by addNewUsers, not invited either).
 */
export function updateExistingUsers({ model, plan, ghosts }: ImportStep, live: Live): boolean {
  const links: Array<[ModelMember, string]> = [];
  for (const i of live) {
    const m = model.byEmail.get(i.email);
    if (!m || m.externalId || (m.storedEmail ?? m.email) !== i.email) continue;
    const holder = model.byExternal.get(i.externalId);
    if (holder || ghosts.has(i.externalId)) {
      plan.failure = `An item with the same key has already been added. Key: ${i.externalId}`;
      plan.notes.push(
        `The server fails the import (HTTP 500): ${i.email} would be linked to external id ${i.externalId}, ` +
          `which ${holder ? `already belongs to ${holder.email}` : 'was just removed'} ` +
          '(an email change to an address invited by hand). Remove one of the two members, ' +
          'or give the hand-invited one no directory entry.',
      );
      return false;
    }
    links.push([m, i.externalId]);
  }
  for (const [m, externalId] of links) {
    model.link(m, externalId);
    plan.link.push({ email: m.email, externalId });
  }
  return true;
}

/**
 * AddNewUsers: imported externalIds the dictionary does not hold; an email already in the organization
 * is dropped by the invitation. Staged (no invitation, no seat) only when asked for AND the server's
 * PM34423StagedStatus feature flag is on, which the Public API does not show: counted as seats.
 * Returns the members to add once the seats allow them.
 */
export function addNewUsers({ model, plan, ghosts }: ImportStep, live: Live, staged: boolean): ModelMember[] {
  const added: ModelMember[] = [];
  const joining = new Set<string>();
  for (const i of live) {
    if (model.byExternal.has(i.externalId) || ghosts.has(i.externalId) || joining.has(i.externalId)) continue;
    const holder = model.byEmail.get(i.email);
    if (holder) {
      const cased = !holder.externalId && holder.storedEmail !== undefined && holder.storedEmail !== i.email;
      plan.skipped.push({
        email: i.email,
        externalId: i.externalId,
        reason: cased
          ? `the email is already a member's, stored as "${holder.storedEmail}": the server links only an exact ` +
            'email and invites no known one, so this member stays unlinked (store the email in lowercase to link it)'
          : `the email is already a member's${holder.externalId ? ` (external id ${holder.externalId})` : ''}`,
      });
      continue;
    }
    joining.add(i.externalId);
    plan.invite.push({ email: i.email, externalId: i.externalId, staged });
    added.push({
      id: `new:${i.externalId}`,
      email: i.email,
      externalId: i.externalId,
      status: Status.invited,
      type: 2,
      userId: null,
    });
  }
  noteOnce(
    plan,
    staged && added.length > 0,
    'New members are sent with inviteUsersAfterProvisioning false: invited, or staged (no invitation, no seat) ' +
      "if the server's staged-users feature is on; the Public API does not say which, so they count as seats here.",
  );
  noteOnce(
    plan,
    added.length > 0,
    'An organization with standalone Secrets Manager gives every invited member Secrets Manager access, and so ' +
      'a Secrets Manager seat; the Public API does not show it, so the plan cannot count those seats.',
  );
  return added;
}

function noteOnce(plan: Plan, when: boolean, note: string): void {
  if (when && !plan.notes.includes(note)) plan.notes.push(note);
}

const sample = (emails: string[]): string =>
  emails.slice(0, 5).join(', ') + (emails.length > 5 ? ` and ${emails.length - 5} more` : '');

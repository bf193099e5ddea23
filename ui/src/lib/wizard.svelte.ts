// What each step keeps while the app runs (what was typed, the last results), in one place
// the App owns: leaving a step and coming back finds it as it was, and the part that is not
// secret is what the app keeps for its next start (`Resume`, written by Rust to the data
// directory). Secrets never come here: the token stays in the keychain, a signed URL and the
// chosen files only in memory.
import type {
  ChosenFile,
  CsvFacts,
  HookFacts,
  Resume,
  RunReport,
  Saved,
  Step,
  UploadTarget,
  Uploaded,
  UsersForm,
  VerifyFacts,
  VerifyReport,
  WebhooksForm,
} from './types';

/** Step 3's fields, empty. */
export function emptyWebhooksForm(): WebhooksForm {
  return {
    event_url: '',
    tag_push: false,
    confidential: false,
    group: '',
    group_hooks: [],
    test_delivery: false,
    prune_duplicates: false,
  };
}

/** Step 4's fields, empty. */
export function emptyUsersForm(): UsersForm {
  return {
    username_column: '',
    email_column: '',
    domain: '',
    include_bots: false,
    include_blocked: false,
    header: false,
  };
}

/** Step 4's files and results, kept in memory only (paths are shown, never sent back). */
export class UsersStep {
  form = $state<UsersForm>(emptyUsersForm());
  idpFile = $state<ChosenFile | null>(null);
  saved = $state<Saved | null>(null);
  changedSinceSave = $state(false);
  upload = $state<{
    kind: UploadTarget['kind'];
    url: string;
    bucket: string;
    object: string;
    keyFile: ChosenFile | null;
  }>({ kind: 'signed_url', url: '', bucket: '', object: '', keyFile: null });
  uploaded = $state<Uploaded | null>(null);
}

/**
 * The counts of a plan or apply, as the Summary shows them. Group hooks count as written only
 * where the admin asked for one (`asked`): the others in the report are offers.
 */
export function hookFacts(run: RunReport, applied: boolean, asked: string[] = []): HookFacts {
  const s = run.summary;
  return {
    applied,
    total: s.total,
    created: s.create,
    updated: s.update,
    unchanged: s.unchanged,
    covered: s.covered,
    manual: s.manual,
    failed: s.failed,
    groups_written: run.groups.filter(
      (g) => asked.includes(g.full_path) && (g.action === 'create' || g.action === 'update'),
    ).length,
    cancelled: run.cancelled,
    removed: s.removed,
  };
}

/** The counts of a verify, as the Summary shows them. */
export function verifyFacts(v: VerifyReport): VerifyFacts {
  return {
    total: v.checks.length,
    ok: v.ok,
    unreadable: v.checks.filter((c) => c.status === 'unknown').length,
    groups_not_ok: v.groups_not_ok,
  };
}

/**
 * Whether step 3 is done: an apply that left nothing for the automation (no failure, not
 * stopped), or a verify with every readable project correct, or, on a read-only token, the
 * admin moving on from the manual instructions.
 */
export function webhooksDone(hooks: HookFacts | null, verify: VerifyFacts | null): boolean {
  const applied = hooks !== null && hooks.applied && !hooks.cancelled && hooks.failed === 0;
  const verified =
    verify !== null && verify.total > 0 && verify.ok + verify.unreadable === verify.total && verify.groups_not_ok === 0;
  return applied || verified;
}

/** The CSV facts for the Summary, from step 4's results. */
export function csvFacts(users: UsersStep): CsvFacts | null {
  const saved = users.saved;
  if (!saved) return null;
  const u = users.uploaded;
  return {
    path: saved.path,
    rows: saved.rows,
    changed_since: users.changedSinceSave,
    uploaded_to: u ? u.target : null,
    upload_verified: u ? u.confirmed.md5 || u.confirmed.crc32c : false,
  };
}

/** Which steps the kept state may reopen. */
export const STEP_IDS: Step[] = ['token', 'scopes', 'webhooks', 'mapping', 'summary'];
export type { Resume };

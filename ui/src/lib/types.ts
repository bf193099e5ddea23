// The shapes the Rust side sends. They mirror, by hand, the serde output of
// `gitlab_onboard_app::{state, demo, error}` and `gitlab_onboard::scopes::TokenReport`; the Rust
// unit tests pin the same field names.

/** Every command's error: a stable code and one actionable line from the core. */
export interface CommandError {
  code: string;
  message: string;
}

/** Where a checked token is kept. */
export type KeychainStatus =
  | { kind: 'system' }
  | { kind: 'memory'; message: string }
  | { kind: 'unavailable'; message: string };

/** A fake token of the demo's simulated GitLab (safe to show). */
export interface DemoToken {
  label: string;
  scopes: string;
  value: string;
}

/** Present when the app was started with `--demo`. */
export interface DemoInfo {
  url: string;
  tokens: DemoToken[];
}

/** What the window needs before the first screen. */
export interface AppInfo {
  default_url: string;
  demo: DemoInfo | null;
  keychain: KeychainStatus;
}

/** The result of step 1 (the token itself never comes back). */
export interface SignedIn {
  gitlab_url: string;
  token_name: string | null;
  keychain: 'system' | 'memory';
}

/** One progress message of scope detection. */
export interface DetectProgress {
  stage: string;
  done: number;
}

export type Role =
  | 'minimal_access'
  | 'guest'
  | 'planner'
  | 'reporter'
  | 'security_manager'
  | 'developer'
  | 'maintainer'
  | 'owner';

export type Mode = 'automatic' | 'manual' | 'insufficient';

export type Expiry =
  | { status: 'ok'; days_left: number }
  | { status: 'soon'; days_left: number }
  | { status: 'never' };

export type HookAccess = { kind: 'automatic' } | { kind: 'manual'; reason: string };

export interface UserSummary {
  id: number;
  username: string;
  name: string;
  is_admin: boolean;
  bot: boolean;
}

export interface ProjectAccess {
  id: number;
  name: string;
  path_with_namespace: string;
  web_url: string;
  namespace: { id: number; full_path: string; kind: string };
  role: Role | null;
  archived: boolean;
  hooks: HookAccess;
}

export interface GroupAccess {
  id: number;
  name: string;
  full_path: string;
  web_url: string;
  parent_id: number | null;
  owner: boolean;
}

export interface ProjectCounts {
  total: number;
  by_role: Record<string, number>;
  automatic: number;
  manual: number;
  archived: number;
}

/** Everything step 2 learns (`gitlab_onboard::scopes::TokenReport`). */
export interface TokenReport {
  gitlab_url: string;
  gitlab_version: string | null;
  token_name: string | null;
  user: UserSummary;
  scopes: string[];
  scopes_source: 'reported' | 'inferred';
  mode: Mode;
  missing_scopes: string[];
  expires_at: string | null;
  expiry: Expiry;
  warnings: string[];
  projects: ProjectAccess[];
  groups: GroupAccess[];
  counts: ProjectCounts;
}

// Step 3 (`gitlab_onboard::webhooks` and `gitlab_onboard_app::webhooks`).

/** What happens, or happened, to one project's webhook. */
export type HookAction =
  | { action: 'create' }
  | { action: 'update'; reasons: string[] }
  | { action: 'unchanged' }
  | { action: 'covered'; group: string }
  | { action: 'manual'; reason: string }
  | { action: 'failed'; message: string; code: string };

/** One project's line in a plan or an apply. */
export type ProjectOutcome = HookAction & {
  project_id: number;
  path: string;
  /** Deep link to the project's webhook settings (`<web_url>/-/hooks`). */
  hooks_url: string;
  hook_id: number | null;
  duplicates: number[];
  /** Set when GitLab disabled our hook, with until when. */
  disabled: string | null;
};

/** Counts of a run's outcomes. */
export interface HookSummary {
  total: number;
  create: number;
  update: number;
  unchanged: number;
  covered: number;
  manual: number;
  failed: number;
  duplicates: number;
}

/** Progress of a run: after each project, its result. */
export interface RunProgress<T> {
  done: number;
  total: number;
  item: T;
}

/** Whether a group's plan runs group webhooks. */
export type PlanSupport = 'paid' | 'free' | 'unknown';

/** One group's hook: its plan, what a run does (or did) and the trade-off in words. */
export type GroupHook = HookAction & {
  group_id: number;
  full_path: string;
  /** The group's webhook settings page. */
  hooks_url: string;
  /** The plan of its top-level group, as GitLab names it. */
  plan: string | null;
  support: PlanSupport;
  /** Selected projects below the group. */
  projects: number;
  hook_id: number | null;
  duplicates: number[];
  disabled: string | null;
  advice: string;
  /** Whether the hook stands for the projects below it: correct and enabled, or written and
   *  proved in this run. Only then are those projects left without a project hook. */
  covering: boolean;
  /** The test delivery sent through this hook in this run, if any. */
  test_delivery: string | null;
};

/** The result of a plan or an apply. */
export interface RunReport {
  /** Group hooks asked for, and offers where one could stand for many. */
  groups: GroupHook[];
  outcomes: ProjectOutcome[];
  summary: HookSummary;
  cancelled: boolean;
  resumed: number;
}

/** A project's hook as verified. */
export type HookCheck =
  | { status: 'ok' }
  | { status: 'missing' }
  | { status: 'wrong'; reasons: string[] }
  | { status: 'unknown'; reason: string }
  | { status: 'failed'; message: string };

/** One project's verification. */
export type ProjectCheck = HookCheck & {
  project_id: number;
  path: string;
  hooks_url: string;
  hook_id: number | null;
  duplicates: number[];
  test_delivery: string | null;
  /** The group whose hook covers the project (the verdict is that hook's). */
  covered_by: string | null;
};

/** The result of a verify. */
export interface VerifyReport {
  /** Group hooks read (`unchanged`: correct). */
  groups: GroupHook[];
  /** Group hooks asked for or in place that are not correct. */
  groups_not_ok: number;
  checks: ProjectCheck[];
  ok: number;
  cancelled: boolean;
  test_deliveries: boolean;
}

/** The hook the admin asks for. */
export interface HookRequest {
  event_url: string;
  /** Group full paths (subgroups included); empty for every project. */
  groups: string[];
  tag_push: boolean;
  confidential: boolean;
  /** Owned groups to carry one hook each in place of their projects' hooks. */
  group_hooks: string[];
}

/** Whether a webhook secret is saved for the instance (never the secret). */
export interface SecretStatus {
  saved: boolean;
}

/** A secret the app just made: shown once. */
export interface GeneratedSecret {
  secret: string;
}

export type ExportFormat = 'markdown' | 'html' | 'csv';

/** Where exported instructions went. */
export interface Exported {
  path: string;
  projects: number;
}

// Step 4: the user mapping (`gitlab_onboard::users` and `gitlab_onboard_app::users`).

/** Where a row's email came from. */
export type EmailSource = 'gitlab' | 'public_email' | 'identity_provider' | 'guessed' | 'edited';

/** One person in scope. */
export interface MappingRow {
  id: number;
  username: string;
  name: string;
  email: string | null;
  source: EmailSource | null;
  problems: string[];
}

/** One progress message of building the mapping. */
export interface BuildProgress {
  stage: string;
  done: number;
  total: number | null;
}

/** The sources the admin chose; empty strings count as not given. */
/** A file chosen in a native dialog: the handle names it to Rust; the path is only shown. */
export interface ChosenFile {
  handle: number;
  path: string;
}

/** The Users screen's sources; the export is a dialog's handle, never a path. */
export interface BuildRequest {
  idp: number | null;
  idp_username_column: string | null;
  idp_email_column: string | null;
  email_domain: string | null;
  include_bots: boolean;
  include_blocked: boolean;
}

/** The validation summary. */
export interface MappingSummary {
  counts: {
    total: number;
    by_source: Partial<Record<EmailSource, number>>;
    unresolved: number;
    flagged: number;
    excluded: number;
  };
  written: number;
  excluded_bots: number;
  excluded_blocked: number;
  warnings: string[];
}

/** Which rows the preview shows. */
export type RowStatus = 'all' | 'ok' | 'flagged' | 'unresolved';

/** The preview's filter. */
export interface RowFilter {
  status: RowStatus;
  source: EmailSource | null;
  search: string;
}

/** Rows `start..` of the `total` matching a filter. */
export interface RowPage {
  total: number;
  start: number;
  rows: MappingRow[];
}

/** An edit's result. */
export interface Edited {
  row: MappingRow;
  summary: MappingSummary;
}

/** What Save wrote. */
export interface Saved {
  path: string;
  rows: number;
  bytes: number;
}

/** Where to upload the CSV. */
export type UploadTarget =
  | { kind: 'signed_url'; url: string }
  | { kind: 'service_account'; bucket: string; object: string; key: number };

/** Bytes sent so far. */
export interface UploadProgress {
  sent: number;
  total: number;
}

/** A finished upload, checked against what GCS reported. */
export interface Uploaded {
  target: string;
  bytes: number;
  md5: string;
  crc32c: string;
  confirmed: { size: boolean; md5: boolean; crc32c: boolean };
}

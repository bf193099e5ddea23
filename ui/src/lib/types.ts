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

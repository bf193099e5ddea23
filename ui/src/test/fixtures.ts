// Sample payloads in the shapes the Rust commands send.
import type { AppInfo, TokenReport } from '../lib/types';

export const APP_INFO: AppInfo = {
  default_url: 'https://gitlab.com',
  demo: null,
  keychain: { kind: 'system' },
};

export const DEMO_INFO: AppInfo = {
  default_url: 'https://gitlab.com',
  demo: {
    url: 'http://127.0.0.1:4567',
    tokens: [
      { label: 'api', scopes: 'api', value: 'simtok-api' },
      { label: 'read-only', scopes: 'read_api, read_user, read_repository', value: 'simtok-read-only' },
    ],
    signed_url: null,
  },
  keychain: { kind: 'memory', message: 'No system keychain answered: the demo keeps its token in memory.' },
};

/** A report for an `api` token that maintains one project and develops in another. */
export function report(overrides: Partial<TokenReport> = {}): TokenReport {
  return {
    gitlab_url: 'https://gitlab.example.com',
    gitlab_version: '17.5.0',
    token_name: 'crawler-onboarding',
    user: { id: 7, username: 'crawler-admin', name: 'Crawler Admin', is_admin: false, bot: false },
    scopes: ['api'],
    scopes_source: 'reported',
    mode: 'automatic',
    missing_scopes: [],
    expires_at: '2027-06-01',
    expiry: { status: 'ok', days_left: 180 },
    warnings: [],
    projects: [
      {
        id: 1,
        name: 'api',
        path_with_namespace: 'acme/backend/api',
        web_url: 'https://gitlab.example.com/acme/backend/api',
        namespace: { id: 3, full_path: 'acme/backend', kind: 'group' },
        role: 'maintainer',
        archived: false,
        hooks: { kind: 'automatic' },
      },
      {
        id: 2,
        name: 'docs',
        path_with_namespace: 'acme/docs',
        web_url: 'https://gitlab.example.com/acme/docs',
        namespace: { id: 2, full_path: 'acme', kind: 'group' },
        role: 'developer',
        archived: true,
        hooks: { kind: 'manual', reason: 'your role here is Developer; webhooks need Maintainer or Owner' },
      },
    ],
    groups: [
      { id: 2, name: 'acme', full_path: 'acme', web_url: 'https://gitlab.example.com/acme', parent_id: null, owner: true },
    ],
    counts: { total: 2, by_role: { developer: 1, maintainer: 1 }, automatic: 1, manual: 1, archived: 1 },
    ...overrides,
  };
}

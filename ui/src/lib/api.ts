// The only place that talks to Rust. Every GitLab request happens there; the window only
// sends what the admin typed and shows what comes back.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { AppInfo, CommandError, DetectProgress, Loaded, Resume, SignedIn, TokenReport } from './types';
import type {
  BuildProgress,
  BuildRequest,
  ChosenFile,
  Edited,
  MappingSummary,
  RowFilter,
  RowPage,
  Saved,
  UploadProgress,
  UploadTarget,
  Uploaded,
} from './types';
import type {
  ExportFormat,
  Exported,
  GeneratedSecret,
  HookRequest,
  ProjectCheck,
  ProjectOutcome,
  RunProgress,
  RunReport,
  SecretStatus,
  VerifyReport,
} from './types';
import type { Health, HookRemoval, Onboarded, Removal, TokenRotated } from './types';

/** Start-up facts: default URL, demo mode, keychain status. */
export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>('app_info');
}

/** Step 1: checks the token with GitLab and keeps it in the keychain. */
export function signIn(url: string, token: string): Promise<SignedIn> {
  return invoke<SignedIn>('sign_in', { url, token });
}

/**
 * Step 2: what the token can do. Progress streams over a channel. Without `refresh`, the
 * report of this session is reused when there is one.
 */
export function detectScopes(
  onProgress: (p: DetectProgress) => void,
  refresh = false,
): Promise<TokenReport> {
  const channel = new Channel<DetectProgress>(onProgress);
  return invoke<TokenReport>('detect_scopes', { refresh, onProgress: channel });
}

/** Step 3: whether a webhook secret is saved in the keychain for this instance. */
export function webhookSecretStatus(): Promise<SecretStatus> {
  return invoke<SecretStatus>('webhook_secret_status');
}

/** Step 3: makes and saves a webhook secret; the only time the window sees one. */
export function generateWebhookSecret(): Promise<GeneratedSecret> {
  return invoke<GeneratedSecret>('generate_webhook_secret');
}

/** Step 3: saves the secret the admin typed (the crawler's existing one). */
export function saveWebhookSecret(secret: string): Promise<void> {
  return invoke<void>('save_webhook_secret', { secret });
}

/** Step 3: copies the saved secret to the clipboard, in Rust (it never comes to the window). */
export function copyWebhookSecret(): Promise<void> {
  return invoke<void>('copy_webhook_secret');
}

/** Step 3: what Apply would do, per project; each outcome streams as it comes. */
export function planWebhooks(
  request: HookRequest,
  onProgress: (p: RunProgress<ProjectOutcome>) => void,
): Promise<RunReport> {
  const channel = new Channel<RunProgress<ProjectOutcome>>(onProgress);
  return invoke<RunReport>('plan_webhooks', { request, onProgress: channel });
}

/** Step 3: creates or fixes the hooks where the token may; each outcome streams as it comes. */
export function applyWebhooks(
  request: HookRequest,
  pruneDuplicates: boolean,
  onProgress: (p: RunProgress<ProjectOutcome>) => void,
): Promise<RunReport> {
  const channel = new Channel<RunProgress<ProjectOutcome>>(onProgress);
  return invoke<RunReport>('apply_webhooks', { request, pruneDuplicates, onProgress: channel });
}

/** Step 3: checks every selected project's hook, optionally with a test delivery. */
export function verifyWebhooks(
  request: HookRequest,
  testDelivery: boolean,
  onProgress: (p: RunProgress<ProjectCheck>) => void,
): Promise<VerifyReport> {
  const channel = new Channel<RunProgress<ProjectCheck>>(onProgress);
  return invoke<VerifyReport>('verify_webhooks', { request, testDelivery, onProgress: channel });
}

/** Step 3: stops the run in flight (it then resolves with `cancelled`). */
export function cancelWebhooks(): Promise<boolean> {
  return invoke<boolean>('cancel_webhooks');
}

/** Step 3: saves the manual instructions where the admin picks; `null` when dismissed. */
export function exportWebhookInstructions(format: ExportFormat, withSecret: boolean): Promise<Exported | null> {
  return invoke<Exported | null>('export_webhook_instructions', { format, withSecret });
}

/** Puts text (never a secret from the keychain) on the clipboard, through Rust. */
export function copyText(text: string): Promise<void> {
  return invoke<void>('copy_text', { text });
}

/** Opens a page of the signed-in GitLab instance in the default browser; Rust checks the URL. */
export function openInBrowser(url: string): Promise<void> {
  return invoke<void>('open_in_browser', { url });
}

/** Ctrl+Q: quits the app. */
export function quit(): Promise<void> {
  return invoke<void>('quit');
}

/** Where the admin was when the app last ran (or a note why that is not known). */
export function resumeLoad(): Promise<Loaded> {
  return invoke<Loaded>('resume_load');
}

/** Keeps where the admin is, for the next start (nothing secret goes in). */
export function resumeSave(state: Resume): Promise<void> {
  return invoke<void>('resume_save', { state });
}

/** Signs in with the keychain's token for `url`; null when it holds none. */
export function signInSaved(url: string): Promise<SignedIn | null> {
  return invoke<SignedIn | null>('sign_in_saved', { url });
}

/** Start over: forgets the session, its results and the kept state (the keychain keeps the token). */
export function startOver(): Promise<void> {
  return invoke<void>('start_over');
}

/** Step 5: saves the summary's Markdown where the admin picks; the path, or null when dismissed. */
export function exportSummary(markdown: string): Promise<string | null> {
  return invoke<string | null>('export_summary', { markdown });
}

/** Whatever a command rejected with, as `{code, message}`. */
export function toCommandError(e: unknown): CommandError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    return { code: String(e.code), message: String(e.message) };
  }
  return { code: 'internal', message: String(e) };
}

/** Step 4: asks for the identity provider's export (native dialog); null when dismissed. */
export function usersChooseIdp(): Promise<ChosenFile | null> {
  return invoke<ChosenFile | null>('users_choose_idp');
}

/** Step 4: asks where to save the CSV (native dialog); null when dismissed. */
export function usersChooseSave(): Promise<ChosenFile | null> {
  return invoke<ChosenFile | null>('users_choose_save');
}

/** Step 4: asks for a service account's key file (native dialog); null when dismissed. */
export function usersChooseKey(): Promise<ChosenFile | null> {
  return invoke<ChosenFile | null>('users_choose_key');
}

/** Step 4: builds the mapping (kept in Rust, with the admin's earlier edits); progress streams. */
export function usersBuild(request: BuildRequest, onProgress: (p: BuildProgress) => void): Promise<MappingSummary> {
  return invoke<MappingSummary>('users_build', { request, onProgress: new Channel<BuildProgress>(onProgress) });
}

/** Step 4: the summary of this sign-in's mapping, if one was built. */
export function usersSummary(): Promise<MappingSummary | null> {
  return invoke<MappingSummary | null>('users_summary');
}

/** Step 4: `count` rows from `start` among those matching `filter`. */
export function usersRows(filter: RowFilter, start: number, count: number): Promise<RowPage> {
  return invoke<RowPage>('users_rows', { filter, start, count });
}

/** Step 4: the admin's email for user `id` (null clears it). */
export function usersEdit(id: number, email: string | null): Promise<Edited> {
  return invoke<Edited>('users_edit', { id, email });
}

/** Step 4: writes the CSV to the chosen file; without `overwrite`, an existing one fails with `file_exists`. */
export function usersSave(file: number, header: boolean, overwrite: boolean): Promise<Saved> {
  return invoke<Saved>('users_save', { file, header, overwrite });
}

/** Step 4: uploads the CSV last saved; progress streams. */
export function usersUpload(target: UploadTarget, onProgress: (p: UploadProgress) => void): Promise<Uploaded> {
  return invoke<Uploaded>('users_upload', { target, onProgress: new Channel<UploadProgress>(onProgress) });
}

/** Tells the shell the window painted its first frame (`cargo xtask bench-dist` times it). */
export function firstPaint(): Promise<void> {
  return invoke<void>('first_paint');
}

// Day two: Health, fix, rotation and removal.

/** On start: the onboarded instance whose token the keychain keeps (open on Health), or null. */
export function onboardedInstance(): Promise<Onboarded | null> {
  return invoke<Onboarded | null>('onboarded_instance');
}

/** Health: the token, the crawler's webhooks and the mapping; each project's check streams. */
export function health(onProgress: (p: RunProgress<ProjectCheck>) => void): Promise<Health> {
  return invoke<Health>('health', { onProgress: new Channel<RunProgress<ProjectCheck>>(onProgress) });
}

/** Health: fixes what status found that the token may fix; each project's outcome streams. */
export function fixHealth(onProgress: (p: RunProgress<ProjectOutcome>) => void): Promise<RunReport> {
  return invoke<RunReport>('fix_health', { onProgress: new Channel<RunProgress<ProjectOutcome>>(onProgress) });
}

/** Health: rotates the token (the old one stops at once); the keychain keeps the new one. */
export function rotateToken(expiresAt: string | null): Promise<TokenRotated> {
  return invoke<TokenRotated>('rotate_token', { expiresAt });
}

/** Health: copies the signed-in token from the keychain to the clipboard (for the crawler). */
export function copyToken(): Promise<void> {
  return invoke<void>('copy_token');
}

/** Removal: the crawler hooks that would be deleted (nothing written); progress streams. */
export function planRemoval(onProgress: (p: RunProgress<HookRemoval>) => void): Promise<Removal> {
  return invoke<Removal>('plan_removal', { onProgress: new Channel<RunProgress<HookRemoval>>(onProgress) });
}

/** Removal: deletes the hooks of the plan shown, after the admin confirmed; progress streams. */
export function removeHooks(onProgress: (p: RunProgress<HookRemoval>) => void): Promise<Removal> {
  return invoke<Removal>('remove_hooks', { onProgress: new Channel<RunProgress<HookRemoval>>(onProgress) });
}

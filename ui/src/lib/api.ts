// The only place that talks to Rust. Every GitLab request happens there; the window only
// sends what the admin typed and shows what comes back.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { AppInfo, CommandError, DetectProgress, SignedIn, TokenReport } from './types';

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

/** Whatever a command rejected with, as `{code, message}`. */
export function toCommandError(e: unknown): CommandError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    return { code: String(e.code), message: String(e.message) };
  }
  return { code: 'internal', message: String(e) };
}

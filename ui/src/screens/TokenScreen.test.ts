import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import { APP_INFO, DEMO_INFO } from '../test/fixtures';
import TokenScreen from './TokenScreen.svelte';

afterEach(() => clearMocks());

describe('Token screen', () => {
  it('defaults to GitLab.com and hides the token', () => {
    const root = render(TokenScreen, { info: APP_INFO, lastUrl: null, onSignedIn: () => {} });
    expect(byTestId<HTMLInputElement>(root, 'gitlab-url').value).toBe('https://gitlab.com');
    expect(byTestId<HTMLInputElement>(root, 'token').type).toBe('password');
    expect(root.textContent).toContain('read_api');
    expect(root.textContent).toContain('expiration date');
  });

  it('signs in with what was typed, then forgets the token', async () => {
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return { gitlab_url: 'https://gitlab.example.com', token_name: 'crawler', keychain: 'system' };
    });
    const onSignedIn = vi.fn();
    const root = render(TokenScreen, { info: APP_INFO, lastUrl: null, onSignedIn });

    type(byTestId(root, 'gitlab-url'), 'https://gitlab.example.com');
    type(byTestId(root, 'token'), 'glpat-abc');
    click(byTestId(root, 'continue'));

    await waitFor(() => expect(onSignedIn).toHaveBeenCalledOnce());
    expect(calls).toEqual([['sign_in', { url: 'https://gitlab.example.com', token: 'glpat-abc' }]]);
    expect(onSignedIn.mock.calls[0][0].gitlab_url).toBe('https://gitlab.example.com');
    expect(byTestId<HTMLInputElement>(root, 'token').value).toBe('');
  });

  it("shows the core's message and code when GitLab refuses the token", async () => {
    mockIPC(() => {
      throw { code: 'token_expired', message: 'the token has expired: create a new personal access token' };
    });
    const onSignedIn = vi.fn();
    const root = render(TokenScreen, { info: APP_INFO, lastUrl: null, onSignedIn });

    type(byTestId(root, 'token'), 'glpat-old');
    click(byTestId(root, 'continue'));

    await waitFor(() => expect(byTestId(root, 'error-code').textContent).toBe('token_expired'));
    expect(byTestId(root, 'error-message').textContent).toContain('the token has expired');
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it('offers the demo tokens and explains an in-memory keychain', () => {
    const root = render(TokenScreen, { info: DEMO_INFO, lastUrl: null, onSignedIn: () => {} });
    expect(byTestId<HTMLInputElement>(root, 'gitlab-url').value).toBe('http://127.0.0.1:4567');
    expect(byTestId(root, 'keychain-notice').textContent).toContain('in memory');

    click(byTestId(root, 'demo-token-read-only'));
    expect(byTestId<HTMLInputElement>(root, 'token').value).toBe('simtok-read-only');
  });

  it('warns up front when no keychain is available, the system text only under Details', () => {
    const message =
      'No system keychain answered: start and unlock your keyring, then restart the app. Details: org.freedesktop.DBus.Error.ServiceUnknown';
    const info = { ...APP_INFO, keychain: { kind: 'unavailable' as const, message } };
    const root = render(TokenScreen, { info, lastUrl: null, onSignedIn: () => {} });
    const notice = byTestId(root, 'keychain-notice');
    expect(notice.className).toContain('error');
    expect(notice.querySelector('p')?.textContent).toBe(
      'No system keychain answered: start and unlock your keyring, then restart the app.',
    );
    const details = notice.querySelector('details');
    expect(details?.open).toBe(false);
    expect(details?.textContent).toContain('DBus.Error.ServiceUnknown');
  });

  it('a failed sign-in says so to the App', async () => {
    mockIPC(() => {
      throw { code: 'unauthorized', message: 'GitLab refused the token' };
    });
    let failed = 0;
    const root = render(TokenScreen, { info: APP_INFO, lastUrl: null, onSignedIn: () => {}, onFailed: () => (failed += 1) });
    type(byTestId(root, 'token'), 'glpat-x');
    byTestId<HTMLFormElement>(root, 'token').form?.requestSubmit();
    await waitFor(() => expect(failed).toBe(1));
  });

  it('goes on with the session in use when no new token is typed', () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    let continued = 0;
    const signedIn = { gitlab_url: 'https://gitlab.com', token_name: null, keychain: 'system' as const, kept: false };
    const root = render(TokenScreen, {
      info: APP_INFO,
      lastUrl: 'https://gitlab.com',
      onSignedIn: () => {},
      signedIn,
      onContinue: () => (continued += 1),
    });
    expect(byTestId(root, 'signed-in-hint').textContent).toContain('Connected to https://gitlab.com');
    byTestId<HTMLInputElement>(root, 'token').form?.requestSubmit();
    expect(continued).toBe(1);
    expect(calls).toEqual([]);
    // Another URL is a new sign-in: the token is needed again.
    type(byTestId(root, 'gitlab-url'), 'https://gitlab.example.com');
    expect(byTestId<HTMLInputElement>(root, 'token').required).toBe(true);
  });
});

import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, expect, it } from 'vitest';
import App from './App.svelte';
import { byTestId, click, render, type, waitFor } from './test/dom';
import { APP_INFO, report } from './test/fixtures';

afterEach(() => clearMocks());

it('goes Token → Scopes and back, with the later steps marked as coming', async () => {
  mockIPC((cmd) => {
    switch (cmd) {
      case 'app_info':
        return APP_INFO;
      case 'sign_in':
        return { gitlab_url: 'https://gitlab.example.com', token_name: null, keychain: 'system' };
      case 'detect_scopes':
        return report();
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  const root = render(App, {});

  await waitFor(() => byTestId(root, 'token'));
  expect(byTestId<HTMLButtonElement>(root, 'step-scopes').disabled).toBe(true);
  expect(byTestId<HTMLButtonElement>(root, 'step-webhooks').disabled).toBe(true);
  expect(byTestId(root, 'step-mapping').textContent).toContain('Coming soon');

  type(byTestId(root, 'token'), 'glpat-abc');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'report'));
  expect(byTestId(root, 'step-scopes').getAttribute('aria-current')).toBe('step');
  expect(byTestId(root, 'connection').textContent).toContain('@crawler-admin');

  click(byTestId(root, 'step-token'));
  await waitFor(() => byTestId(root, 'token'));
  expect(byTestId<HTMLInputElement>(root, 'gitlab-url').value).toBe('https://gitlab.example.com');
});

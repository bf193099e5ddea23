import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, expect, it } from 'vitest';
import App from './App.svelte';
import { byTestId, click, render, type, waitFor } from './test/dom';
import { APP_INFO, report } from './test/fixtures';

afterEach(() => clearMocks());

it('goes Token → Scopes → Webhooks and back, keeping what was typed, with the later steps locked until then', async () => {
  mockIPC((cmd) => {
    switch (cmd) {
      case 'app_info':
        return APP_INFO;
      case 'sign_in':
        return { gitlab_url: 'https://gitlab.example.com', token_name: null, keychain: 'system' };
      case 'detect_scopes':
        return report();
      case 'webhook_secret_status':
        return { saved: false };
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  const root = render(App, {});

  await waitFor(() => byTestId(root, 'token'));
  expect(byTestId<HTMLButtonElement>(root, 'step-scopes').disabled).toBe(true);
  expect(byTestId<HTMLButtonElement>(root, 'step-webhooks').disabled).toBe(true);
  expect(byTestId<HTMLButtonElement>(root, 'step-mapping').disabled).toBe(true);

  type(byTestId(root, 'token'), 'glpat-abc');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'report'));
  expect(byTestId(root, 'step-scopes').getAttribute('aria-current')).toBe('step');
  expect(byTestId(root, 'connection').textContent).toContain('@crawler-admin');
  await waitFor(() => expect(byTestId<HTMLButtonElement>(root, 'step-webhooks').disabled).toBe(false));

  click(byTestId(root, 'continue-webhooks'));
  await waitFor(() => byTestId(root, 'webhooks'));
  expect(byTestId(root, 'webhooks-mode').dataset.mode).toBe('automatic');
  type(byTestId(root, 'event-url'), 'https://crawler.example.com/events');
  click(byTestId(root, 'back'));
  await waitFor(() => byTestId(root, 'report'));
  expect(byTestId(root, 'webhooks-step').hidden).toBe(true);
  click(byTestId(root, 'continue-webhooks'));
  await waitFor(() => expect(byTestId(root, 'webhooks-step').hidden).toBe(false));
  expect(byTestId<HTMLInputElement>(root, 'event-url').value).toBe(
    'https://crawler.example.com/events',
  );
  click(byTestId(root, 'step-scopes'));
  await waitFor(() => byTestId(root, 'report'));

  click(byTestId(root, 'step-token'));
  await waitFor(() => byTestId(root, 'token'));
  expect(byTestId<HTMLInputElement>(root, 'gitlab-url').value).toBe('https://gitlab.example.com');
});

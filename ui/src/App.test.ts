import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, expect, it } from 'vitest';
import App from './App.svelte';
import { byTestId, click, render, type, waitFor } from './test/dom';
import { APP_INFO, DEMO_INFO, report } from './test/fixtures';
import type { Resume, RunReport } from './lib/types';

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
      case 'resume_load':
        return { state: null, note: null };
      case 'resume_save':
        return null;
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

/** A stand-in for Rust: every command the wizard's walk uses, recorded. */
function backend(overrides: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const kept: Resume[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (overrides[cmd]) return overrides[cmd](args);
    switch (cmd) {
      case 'app_info':
        return APP_INFO;
      case 'resume_load':
        return { state: null, note: null };
      case 'resume_save':
        kept.push(args.state as Resume);
        return null;
      case 'sign_in':
        return { gitlab_url: 'https://gitlab.example.com', token_name: null, keychain: 'system', kept: false };
      case 'detect_scopes':
        return report();
      case 'webhook_secret_status':
        return { saved: true };
      case 'apply_webhooks':
        return runReport();
      case 'users_summary':
        return null;
      case 'start_over':
        return null;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return { calls, kept };
}

function runReport(): RunReport {
  return {
    groups: [],
    outcomes: [
      {
        project_id: 1,
        path: 'acme/backend/api',
        hooks_url: 'https://gitlab.example.com/acme/backend/api/-/hooks',
        hook_id: 9,
        duplicates: [],
        disabled: null,
        removed: [],
        action: 'create',
      } as RunReport['outcomes'][number],
    ],
    summary: { total: 1, create: 1, update: 0, unchanged: 0, covered: 0, manual: 0, failed: 0, duplicates: 0, removed: 0 },
    cancelled: false,
    resumed: 0,
  };
}

const doneSteps = (root: HTMLElement) =>
  [...root.querySelectorAll('nav li.done button')].map((b) => (b as HTMLElement).dataset.testid);

it('walks all five steps with Continue, marks each done, and opens each at its heading', async () => {
  const { calls } = backend();
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'token'));
  type(byTestId(root, 'token'), 'glpat-abc');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'report'));
  expect(document.activeElement?.id).toBe('scopes-title');
  expect(doneSteps(root)).toContain('step-token');

  click(byTestId(root, 'continue-webhooks'));
  await waitFor(() => expect(document.activeElement?.id).toBe('webhooks-title'));
  expect(doneSteps(root)).not.toContain('step-webhooks');
  type(byTestId(root, 'event-url'), 'https://crawler.example.com/events');
  await waitFor(() => expect(byTestId<HTMLButtonElement>(root, 'apply').disabled).toBe(false));
  click(byTestId(root, 'apply'));
  await waitFor(() => expect(doneSteps(root)).toContain('step-webhooks'));

  click(byTestId(root, 'continue-mapping'));
  await waitFor(() => expect(document.activeElement?.id).toBe('users-title'));
  click(byTestId(root, 'continue-summary'));
  await waitFor(() => expect(document.activeElement?.id).toBe('summary-title'));
  expect(byTestId(root, 'summary-hooks').textContent).toContain('Apply ran on 1 project.');
  expect(byTestId(root, 'summary-csv').textContent).toContain('not saved');
  expect(byTestId(root, 'summary-token').textContent).toContain('2027-06-01');
  // The Summary asked GitLab nothing: its facts are what Apply returned.
  expect(calls.filter((c) => c.cmd === 'detect_scopes' || c.cmd.endsWith('_webhooks')).map((c) => c.cmd)).toEqual([
    'detect_scopes',
    'apply_webhooks',
  ]);

  click(byTestId(root, 'start-over'));
  click(byTestId(root, 'start-over-yes'));
  await waitFor(() => byTestId(root, 'token'));
  expect(calls.some((c) => c.cmd === 'start_over')).toBe(true);
  expect(root.querySelector('[data-testid="connection"]')).toBeNull();
  expect(byTestId<HTMLButtonElement>(root, 'step-summary').disabled).toBe(true);
  expect(doneSteps(root)).toEqual([]);
});

it('a failed sign-in leaves nobody connected; the same token again keeps later steps', async () => {
  let refuse = false;
  let kept = false;
  backend({
    sign_in: () => {
      if (refuse) throw { code: 'unauthorized', message: 'GitLab refused the token: create a new one' };
      return { gitlab_url: 'https://gitlab.example.com', token_name: null, keychain: 'system', kept };
    },
  });
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'token'));
  type(byTestId(root, 'token'), 'glpat-abc');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'report'));
  click(byTestId(root, 'continue-webhooks'));
  await waitFor(() => byTestId(root, 'event-url'));
  type(byTestId(root, 'event-url'), 'https://crawler.example.com/events');

  click(byTestId(root, 'step-token'));
  await waitFor(() => byTestId(root, 'token'));
  kept = true;
  type(byTestId(root, 'token'), 'glpat-abc');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'report'));
  click(byTestId(root, 'continue-webhooks'));
  await waitFor(() => expect(byTestId<HTMLInputElement>(root, 'event-url').value).toBe('https://crawler.example.com/events'));

  click(byTestId(root, 'step-token'));
  await waitFor(() => byTestId(root, 'token'));
  refuse = true;
  type(byTestId(root, 'token'), 'glpat-wrong');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'error'));
  expect(root.querySelector('[data-testid="connection"]')).toBeNull();
  expect(byTestId<HTMLButtonElement>(root, 'step-scopes').disabled).toBe(true);
});

it('keeps where the admin is, nothing secret, and returns there on the next start', async () => {
  const first = backend();
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'token'));
  type(byTestId(root, 'token'), 'glpat-secret-value');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'report'));
  click(byTestId(root, 'continue-webhooks'));
  await waitFor(() => byTestId(root, 'event-url'));
  type(byTestId(root, 'event-url'), 'https://crawler.example.com/events');
  await waitFor(() => expect(first.kept[first.kept.length - 1]?.webhooks.event_url).toBe('https://crawler.example.com/events'));
  const state = first.kept[first.kept.length - 1];
  expect(state.step).toBe('webhooks');
  expect(state.gitlab_url).toBe('https://gitlab.example.com');
  expect(JSON.stringify(first.kept)).not.toContain('glpat-secret-value');
  clearMocks();

  // The next start: the token comes from the keychain, the step and fields from the file.
  document.body.innerHTML = '';
  const second = backend({
    resume_load: () => ({ state: { ...state, step: 'mapping', users: { ...state.users, domain: 'corp.example' } }, note: null }),
    sign_in_saved: (args) => ({ gitlab_url: args.url, token_name: null, keychain: 'system', kept: false }),
  });
  const again = render(App, {});
  await waitFor(() => expect(byTestId<HTMLInputElement>(again, 'email-domain').value).toBe('corp.example'));
  expect(second.calls.find((c) => c.cmd === 'sign_in_saved')?.args).toEqual({ url: 'https://gitlab.example.com' });
  expect(byTestId(again, 'connection').textContent).toContain('gitlab.example.com');
  click(byTestId(again, 'step-webhooks'));
  await waitFor(() => expect(byTestId<HTMLInputElement>(again, 'event-url').value).toBe('https://crawler.example.com/events'));
});

it('starts at step 1 with a note when the kept state was unreadable', async () => {
  backend({ resume_load: () => ({ state: null, note: 'Where you were last time could not be restored (damaged).' }) });
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'token'));
  expect(byTestId(root, 'resume-note').textContent).toContain('could not be restored');
});

it('quits on Ctrl+Q', async () => {
  const { calls } = backend({ quit: () => null });
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'token'));
  window.dispatchEvent(new KeyboardEvent('keydown', { key: 'q', ctrlKey: true }));
  await waitFor(() => expect(calls.some((c) => c.cmd === 'quit')).toBe(true));
});

it("does not sign in to a demo's GitLab of an earlier start", async () => {
  const { calls } = backend({
    app_info: () => DEMO_INFO,
    resume_load: () => ({
      state: {
        step: 'webhooks',
        gitlab_url: 'http://127.0.0.1:1111',
        webhooks: { event_url: 'https://c.example/e' },
        users: {},
        hooks: null,
        verify: null,
        webhooks_done: false,
        csv: null,
      },
      note: null,
    }),
  });
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'token'));
  expect(calls.some((c) => c.cmd === 'sign_in_saved')).toBe(false);
  expect(root.querySelector('[data-testid="resume-note"]')).toBeNull();
});

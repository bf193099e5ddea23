import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, expect, it } from 'vitest';
import App from './App.svelte';
import { byTestId, click, render, type, waitFor } from './test/dom';
import { APP_INFO, DEMO_INFO, report } from './test/fixtures';
import type { Health, Onboarded, Removal, Resume, RunReport } from './lib/types';
import { emptyUsersForm, emptyWebhooksForm } from './lib/wizard.svelte';

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

const ONBOARDED: Onboarded = {
  gitlab_url: 'https://gitlab.example.com',
  event_url: 'https://crawler.example.com/events',
  groups: ['acme'],
  projects: [],
  include_archived: false,
  tag_push: false,
  confidential: false,
  group_hooks: [],
  applied_at: '2026-11-01T10:00:00+00:00',
};

/** Health as the Rust command answers, the token expiring on `expiresAt` in `days`. */
function healthOf(expiresAt: string, days: number): Health {
  return {
    status: {
      gitlab_url: ONBOARDED.gitlab_url,
      token: {
        valid: true,
        scopes: ['api'],
        mode: 'automatic',
        missing_scopes: [],
        expires_at: expiresAt,
        days_left: days,
        expires_soon: days < 30,
        warnings: [],
      },
      webhooks: { projects: 1, ok: 1, missing: [], disabled: [], wrong: [], duplicates: [], manual: [], failed: [], groups: [], details: [] },
      requests: 3,
      scan: { full: true, new_after: null, new: 0, checked: 1, carried: 0, escalated: null, record_error: null },
      mapping: null,
    },
    onboarded: ONBOARDED,
    can_fix: true,
  };
}

const KEPT: Resume = {
  step: 'summary',
  gitlab_url: ONBOARDED.gitlab_url,
  webhooks: { ...emptyWebhooksForm(), event_url: ONBOARDED.event_url },
  users: emptyUsersForm(),
  hooks: {
    applied: true,
    total: 1,
    created: 1,
    updated: 0,
    unchanged: 0,
    covered: 0,
    manual: 0,
    failed: 0,
    groups_written: 0,
    cancelled: false,
    removed: 0,
  },
  verify: null,
  webhooks_done: true,
  csv: null,
};

it('opened again after onboarding starts on Health (not on a step), with the steps as they were one click away', async () => {
  const { calls } = backend({
    onboarded_instance: () => ONBOARDED,
    resume_load: () => ({ state: KEPT, note: null }),
    sign_in_saved: (args) => ({ gitlab_url: args.url, token_name: null, keychain: 'system', kept: true }),
    health: () => healthOf('2027-06-01', 180),
  });
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'health-webhooks'));
  expect(root.querySelector('[data-testid="token"]')).toBeNull();
  expect(byTestId(root, 'step-health').getAttribute('aria-current')).toBe('page');
  expect(root.querySelector('nav [aria-current="step"]')).toBeNull();
  expect(calls.find((c) => c.cmd === 'sign_in_saved')?.args).toEqual({ url: ONBOARDED.gitlab_url });

  // The steps keep what they had: the Summary shows the last apply, and offers removal.
  await waitFor(() => expect(byTestId<HTMLButtonElement>(root, 'step-summary').disabled).toBe(false));
  click(byTestId(root, 'step-summary'));
  await waitFor(() => expect(document.activeElement?.id).toBe('summary-title'));
  expect(byTestId(root, 'summary-hooks').textContent).toContain('Apply ran on 1 project.');
  byTestId(root, 'remove-hooks');
  expect(root.querySelector('[data-testid="health"]')).toBeNull();

  // And back to Health.
  click(byTestId(root, 'step-health'));
  await waitFor(() => expect(document.activeElement?.id).toBe('health-title'));
  // The kept state still names the wizard's step, not Health.
  expect(calls.filter((c) => c.cmd === 'resume_save').every((c) => (c.args.state as Resume).step !== ('health' as never))).toBe(true);
});

it('without an onboarding it resumes the wizard as before, with no Health entry', async () => {
  backend({
    onboarded_instance: () => null,
    resume_load: () => ({ state: { ...KEPT, step: 'webhooks' }, note: null }),
    sign_in_saved: (args) => ({ gitlab_url: args.url, token_name: null, keychain: 'system', kept: true }),
  });
  const root = render(App, {});
  await waitFor(() => expect(byTestId(root, 'webhooks-step').hidden).toBe(false));
  expect(root.querySelector('[data-testid="step-health"]')).toBeNull();
});

it('shows the expiry banner on the steps under 30 days; a rotation from it shows the new expiry', async () => {
  const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  const rotatedTo = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  const { calls } = backend({
    detect_scopes: () => report({ expires_at: soon, expiry: { status: 'soon', days_left: 10 } }),
    rotate_token: () => ({ gitlab_url: ONBOARDED.gitlab_url, expires_at: rotatedTo, keychain: 'system' }),
  });
  const root = render(App, {});
  await waitFor(() => byTestId(root, 'token'));
  expect(root.querySelector('[data-testid="expiry-banner"]')).toBeNull();
  type(byTestId(root, 'token'), 'glpat-abc');
  click(byTestId(root, 'continue'));
  await waitFor(() => byTestId(root, 'report'));
  await waitFor(() => expect(byTestId(root, 'expiry-days').textContent).toBe('in 10 days'));
  expect(byTestId(root, 'expiry-date').textContent).toBe(soon);

  // The banner stays on the next step; its Rotate asks first.
  click(byTestId(root, 'continue-webhooks'));
  await waitFor(() => byTestId(root, 'webhooks'));
  expect(byTestId(root, 'expiry-days').textContent).toBe('in 10 days');
  click(byTestId(root, 'expiry-rotate'));
  expect(byTestId(root, 'rotate-confirm').textContent).toContain('stops working at once');
  expect(calls.some((c) => c.cmd === 'rotate_token')).toBe(false);
  click(byTestId(root, 'rotate-yes'));
  await waitFor(() => expect(byTestId(root, 'rotated').textContent).toContain(`expires on ${rotatedTo}`));
  expect(byTestId(root, 'expiry-days').textContent).toBe('in 7 days');
  expect(byTestId(root, 'expiry-date').textContent).toBe(rotatedTo);
});

it('offers removal on the Summary after an apply, behind a confirmation that lists what goes', async () => {
  const plan: Removal = {
    groups: [],
    projects: [
      {
        kind: 'project',
        id: 1,
        path: 'acme/backend/api',
        hooks_url: 'https://gitlab.example.com/acme/backend/api/-/hooks',
        delete: [9],
        deleted: [],
        left: [],
        status: 'delete',
      } as Removal['projects'][number],
    ],
  };
  const removed: Removal = {
    groups: [],
    projects: [{ ...plan.projects[0], delete: [], deleted: [9], status: 'deleted' } as Removal['projects'][number]],
  };
  let marker: Onboarded | null = null;
  const { calls } = backend({
    onboarded_instance: () => marker,
    apply_webhooks: () => {
      marker = ONBOARDED;
      return runReport();
    },
    plan_removal: () => plan,
    remove_hooks: () => {
      marker = null;
      return removed;
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
  await waitFor(() => expect(byTestId<HTMLButtonElement>(root, 'apply').disabled).toBe(false));
  click(byTestId(root, 'apply'));
  await waitFor(() => expect(byTestId<HTMLButtonElement>(root, 'step-summary').disabled).toBe(false));
  // The apply recorded the onboarding: Health is one click away from now on.
  await waitFor(() => byTestId(root, 'step-health'));
  click(byTestId(root, 'step-summary'));
  await waitFor(() => byTestId(root, 'remove-hooks'));
  click(byTestId(root, 'remove-plan'));
  await waitFor(() => byTestId(root, 'remove-list'));
  expect(byTestId(root, 'remove-item-project-1').textContent).toContain('acme/backend/api');
  expect(calls.some((c) => c.cmd === 'remove_hooks')).toBe(false);
  click(byTestId(root, 'remove-confirm'));
  await waitFor(() => expect(byTestId(root, 'remove-done').textContent).toContain('Deleted 1 webhook'));
  // Removed: nothing is onboarded any more, and Health goes.
  await waitFor(() => expect(root.querySelector('[data-testid="step-health"]')).toBeNull());
});

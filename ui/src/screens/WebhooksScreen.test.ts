import type { Channel } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import { report } from '../test/fixtures';
import type {
  GroupHook,
  ProjectAccess,
  ProjectCheck,
  ProjectOutcome,
  RunProgress,
  RunReport,
  TokenReport,
} from '../lib/types';
import WebhooksScreen from './WebhooksScreen.svelte';

afterEach(() => clearMocks());

const EVENTS = 'https://crawler.example.com/instance/gitlab/events';

/** The fixture report plus a live project in another group that needs a person. */
function reportWithThree(overrides: Partial<TokenReport> = {}): TokenReport {
  const base = report();
  const partner: ProjectAccess = {
    id: 3,
    name: 'portal',
    path_with_namespace: 'partners/portal',
    web_url: 'https://gitlab.example.com/partners/portal',
    namespace: { id: 9, full_path: 'partners', kind: 'group' },
    role: 'developer',
    archived: false,
    hooks: { kind: 'manual', reason: 'your role here is Developer; webhooks need Maintainer or Owner' },
  };
  return { ...base, projects: [...base.projects, partner], ...overrides };
}

function outcome(id: number, path: string, action: ProjectOutcome extends infer O ? Partial<O> : never): ProjectOutcome {
  return {
    project_id: id,
    path,
    hooks_url: `https://gitlab.example.com/${path}/-/hooks`,
    hook_id: null,
    duplicates: [],
    disabled: null,
    removed: [],
    action: 'create',
    ...action,
  } as ProjectOutcome;
}

const CREATED = outcome(1, 'acme/backend/api', { action: 'create', hook_id: 11 });
const MANUAL = outcome(3, 'partners/portal', {
  action: 'manual',
  reason: 'your role here is Developer; webhooks need Maintainer or Owner',
});

function runReport(outcomes: ProjectOutcome[], extra: Partial<RunReport> = {}): RunReport {
  const count = (a: string) => outcomes.filter((o) => o.action === a).length;
  return {
    groups: [],
    outcomes,
    summary: {
      total: outcomes.length,
      create: count('create'),
      update: count('update'),
      unchanged: count('unchanged'),
      covered: count('covered'),
      manual: count('manual'),
      failed: count('failed'),
      duplicates: 0,
      removed: outcomes.reduce((n, o) => n + o.removed.length, 0),
    },
    cancelled: false,
    resumed: 0,
    ...extra,
  };
}

type Calls = { cmd: string; args: Record<string, unknown> }[];

describe('Webhooks screen', () => {
  it('generates the secret once, applies with live progress and Cancel, then shows the outcomes', async () => {
    const calls: Calls = [];
    let channel: Channel<RunProgress<ProjectOutcome>> | undefined;
    let finish: (r: RunReport) => void = () => {};
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: args as Record<string, unknown> });
      switch (cmd) {
        case 'webhook_secret_status':
          return { saved: false };
        case 'generate_webhook_secret':
          return { secret: 'f00d'.repeat(16) };
        case 'apply_webhooks':
          channel = (args as { onProgress: Channel<RunProgress<ProjectOutcome>> }).onProgress;
          return new Promise<RunReport>((resolve) => (finish = resolve));
        case 'cancel_webhooks':
          return true;
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    const root = render(WebhooksScreen, { report: reportWithThree(), onBack: () => {} });

    await waitFor(() => byTestId(root, 'generate-secret'));
    // A disabled button says why.
    expect(byTestId<HTMLButtonElement>(root, 'plan').disabled).toBe(true);
    expect(byTestId(root, 'why-disabled').textContent).toBe("Enter the crawler's event URL first.");
    expect(byTestId(root, 'plan').title).toBe("Enter the crawler's event URL first.");
    type(byTestId(root, 'event-url'), `  ${EVENTS} `);
    expect(byTestId<HTMLButtonElement>(root, 'apply').disabled).toBe(true);
    expect(byTestId(root, 'why-disabled').textContent).toBe('Generate or enter the webhook secret first.');
    // Only the project the token may write counts; the other is said to be by hand.
    expect(byTestId(root, 'apply').textContent).toContain('Apply to 1 project');
    expect(byTestId(root, 'not-writable').textContent).toContain('1 of the selected projects need');

    click(byTestId(root, 'generate-secret'));
    await waitFor(() => expect(byTestId(root, 'new-secret').textContent).toBe('f00d'.repeat(16)));
    expect(byTestId(root, 'fresh-secret').textContent).toContain('Webhook secret token');
    expect(byTestId<HTMLButtonElement>(root, 'apply').disabled).toBe(false);
    click(byTestId(root, 'secret-done'));
    expect(root.textContent).not.toContain('f00d'.repeat(16));
    expect(byTestId(root, 'secret-saved')).toBeTruthy();

    click(byTestId(root, 'apply'));
    await waitFor(() => expect(channel).toBeDefined());
    const apply = calls.find((c) => c.cmd === 'apply_webhooks');
    expect(apply?.args.request).toEqual({ event_url: EVENTS, groups: [], tag_push: false, confidential: false, group_hooks: [] });
    expect(apply?.args.pruneDuplicates).toBe(false);

    channel?.onmessage({ done: 1, total: 2, item: CREATED });
    await waitFor(() => expect(byTestId(root, 'run-count').textContent).toContain('1 / 2'));
    expect(byTestId<HTMLProgressElement>(root, 'run-progress').value).toBe(1);
    expect(byTestId(root, 'hook-row-1').dataset.outcome).toBe('create');
    expect(byTestId(root, 'hook-row-3').dataset.outcome).toBe('none');
    expect(byTestId<HTMLButtonElement>(root, 'verify').disabled).toBe(true);

    click(byTestId(root, 'cancel'));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'cancel_webhooks')).toBe(true));
    const cancelled = outcome(3, 'partners/portal', { action: 'failed', message: 'cancelled', code: 'cancelled' });
    finish(runReport([CREATED, cancelled], { cancelled: true }));
    await waitFor(() => byTestId(root, 'run-cancelled'));
    // Worded as done, in the summary and the rows.
    expect(byTestId(root, 'run-summary').textContent).toContain('Created 1, updated 0,');
    expect(byTestId(root, 'hook-row-1').textContent).toContain('Created');
    expect(byTestId(root, 'hook-row-3').dataset.outcome).toBe('failed');
    expect(byTestId(root, 'hook-row-3').textContent).toContain('cancelled');
    expect(root.querySelector('[data-testid="run-progress"]')).toBeNull();
  });

  it('narrows the runs to a group and filters the table by outcome', async () => {
    const requests: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'webhook_secret_status') return { saved: true };
      if (cmd === 'plan_webhooks') {
        requests.push((args as { request: unknown }).request);
        return runReport([CREATED, MANUAL]);
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(WebhooksScreen, { report: reportWithThree(), onBack: () => {} });
    await waitFor(() => byTestId(root, 'secret-saved'));
    type(byTestId(root, 'event-url'), EVENTS);

    const groups = [...byTestId<HTMLSelectElement>(root, 'group-filter').options].map((o) => o.value);
    expect(groups).toEqual(['', 'acme', 'acme/backend', 'partners']);
    const groupSelect = byTestId<HTMLSelectElement>(root, 'group-filter');
    groupSelect.value = 'acme';
    groupSelect.dispatchEvent(new Event('change'));
    await waitFor(() => expect(byTestId(root, 'apply').textContent).toContain('Apply to 1 project'));
    expect(root.querySelector('[data-testid="hook-row-3"]')).toBeNull();
    expect(root.querySelector('[data-testid="hook-row-2"]')).toBeNull();

    click(byTestId(root, 'plan'));
    await waitFor(() => expect(requests).toHaveLength(1));
    expect(requests[0]).toMatchObject({ groups: ['acme'] });

    groupSelect.value = '';
    groupSelect.dispatchEvent(new Event('change'));
    await waitFor(() => byTestId(root, 'hook-row-3'));
    const outcomeSelect = byTestId<HTMLSelectElement>(root, 'outcome-filter');
    outcomeSelect.value = 'manual';
    outcomeSelect.dispatchEvent(new Event('change'));
    await waitFor(() => expect(root.querySelector('[data-testid="hook-row-1"]')).toBeNull());
    expect(byTestId(root, 'hook-row-3').textContent).toContain('webhooks need Maintainer');
    expect(byTestId(root, 'shown-count').textContent).toBe('1 of 2 projects shown');
  });

  it('gives a read-only token per-project instructions: links, copy buttons, open in browser, export', async () => {
    const calls: Calls = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: args as Record<string, unknown> });
      switch (cmd) {
        case 'webhook_secret_status':
          return { saved: true };
        case 'plan_webhooks':
          return runReport([{ ...MANUAL }, outcome(1, 'acme/backend/api', { action: 'manual', reason: 'read-only token' })]);
        case 'verify_webhooks':
          return {
            checks: [
              { ...CREATED, status: 'missing', test_delivery: null, covered_by: null },
              { ...MANUAL, status: 'unknown', reason: 'listing needs Maintainer', test_delivery: null, covered_by: null },
            ] as ProjectCheck[],
            groups: [],
            groups_not_ok: 0,
            ok: 0,
            cancelled: false,
            test_deliveries: false,
          };
        case 'export_webhook_instructions':
          return { path: '/home/admin/crawler-webhooks.csv', projects: 2 };
        case 'open_in_browser':
        case 'copy_text':
        case 'copy_webhook_secret':
          return null;
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    const root = render(WebhooksScreen, { report: reportWithThree({ mode: 'manual' }), onBack: () => {} });
    await waitFor(() => byTestId(root, 'secret-saved'));
    expect(root.querySelector('[data-testid="apply"]')).toBeNull();
    expect(root.querySelector('[data-testid="test-delivery"]')).toBeNull();
    type(byTestId(root, 'event-url'), EVENTS);
    click(byTestId(root, 'plan'));

    await waitFor(() => byTestId(root, 'manual-instructions'));
    const link = byTestId<HTMLAnchorElement>(root, 'hooks-link-3');
    expect(link.getAttribute('href')).toBe('https://gitlab.example.com/partners/portal/-/hooks');
    expect(byTestId(root, 'manual-url').textContent).toBe(EVENTS);
    expect(byTestId(root, 'manual-triggers').textContent).toContain('Wiki page events');
    expect(byTestId(root, 'manual-3').textContent).toContain('webhooks need Maintainer');

    click(byTestId(root, 'open-3'));
    click(link);
    click(byTestId(root, 'copy-link-3'));
    click(byTestId(root, 'copy-secret'));
    await waitFor(() => expect(byTestId(root, 'copy-secret').textContent).toBe('Copied'));
    const opened = calls.filter((c) => c.cmd === 'open_in_browser').map((c) => c.args.url);
    expect(opened).toEqual([link.href, link.href]);
    expect(calls.find((c) => c.cmd === 'copy_text')?.args.text).toBe(link.href);
    expect(calls.some((c) => c.cmd === 'copy_webhook_secret')).toBe(true);

    const format = byTestId<HTMLSelectElement>(root, 'export-format');
    format.value = 'csv';
    format.dispatchEvent(new Event('change'));
    expect(byTestId<HTMLInputElement>(root, 'export-with-secret').checked).toBe(false);
    click(byTestId(root, 'export'));
    await waitFor(() => expect(byTestId(root, 'exported').textContent).toContain('/home/admin/crawler-webhooks.csv'));
    expect(calls.find((c) => c.cmd === 'export_webhook_instructions')?.args).toEqual({ format: 'csv', withSecret: false });
    click(byTestId(root, 'export-with-secret'));
    click(byTestId(root, 'export'));
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'export_webhook_instructions')).toHaveLength(2));
    expect(calls.filter((c) => c.cmd === 'export_webhook_instructions')[1].args).toEqual({ format: 'csv', withSecret: true });

    click(byTestId(root, 'verify'));
    await waitFor(() => expect(byTestId(root, 'verify-summary').textContent).toContain('0 of 2'));
    expect(calls.find((c) => c.cmd === 'verify_webhooks')?.args.testDelivery).toBe(false);
    expect(byTestId(root, 'hook-row-1').dataset.check).toBe('missing');
    expect(byTestId(root, 'hook-row-3').dataset.check).toBe('unknown');
  });

  it('offers one group hook where the plan runs them, and sends the choice with Apply', async () => {
    const offer = (path: string, support: GroupHook['support']): GroupHook => ({
      action: 'create',
      group_id: path.length,
      full_path: path,
      hooks_url: `https://gitlab.example.com/groups/${path}/-/hooks`,
      plan: support === 'free' ? 'free' : 'premium',
      support,
      projects: 2,
      hook_id: null,
      duplicates: [],
      disabled: null,
      advice: 'One hook covers the 2 selected projects below it',
      covering: false,
      test_delivery: null,
    });
    const requests: Record<string, unknown>[] = [];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      switch (cmd) {
        case 'webhook_secret_status':
          return { saved: true };
        case 'plan_webhooks':
          requests.push(a.request as Record<string, unknown>);
          return runReport([CREATED], { groups: [offer('acme', 'paid'), offer('community', 'free')] });
        case 'apply_webhooks':
          requests.push(a.request as Record<string, unknown>);
          // The group hook replaced the project's two hooks of ours.
          return runReport([outcome(1, 'acme/backend/api', { action: 'covered', group: 'acme', removed: [11, 12] })], {
            groups: [{ ...offer('acme', 'paid'), hook_id: 40 }],
          });
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    const root = render(WebhooksScreen, { report: reportWithThree(), onBack: () => {} });
    await waitFor(() => byTestId(root, 'secret-saved'));
    type(byTestId(root, 'event-url'), EVENTS);
    click(byTestId(root, 'plan'));
    await waitFor(() => byTestId(root, 'group-hooks'));
    const choices = root.querySelectorAll<HTMLInputElement>('[data-testid="use-group-hook"]');
    expect(choices).toHaveLength(2);
    expect(choices[1].disabled).toBe(true);
    expect(byTestId(root, 'group-hooks').textContent).toContain('group webhooks never fire');
    click(choices[0]);
    click(byTestId(root, 'apply'));
    await waitFor(() => expect(requests).toHaveLength(2));
    expect(requests[0].group_hooks).toEqual([]);
    expect(requests[1].group_hooks).toEqual(['acme']);
    await waitFor(() => expect(byTestId(root, 'hook-row-1').textContent).toContain('acme'));
    expect(byTestId(root, 'group-hook-outcome').textContent).toContain('Create');
    await waitFor(() =>
      expect(byTestId(root, 'run-summary').textContent).toContain('Removed 2 project hooks now covered by the group hook.'),
    );
  });

  it("shows the core's refusal of the event URL", async () => {
    mockIPC((cmd) => {
      if (cmd === 'webhook_secret_status') return { saved: true };
      throw { code: 'invalid_input', message: "'http://c.example.com' is not HTTPS" };
    });
    const root = render(WebhooksScreen, { report: reportWithThree(), onBack: () => {} });
    await waitFor(() => byTestId(root, 'secret-saved'));
    expect(byTestId<HTMLButtonElement>(root, 'plan').disabled).toBe(true);
    type(byTestId(root, 'event-url'), 'http://c.example.com');
    click(byTestId(root, 'plan'));
    await waitFor(() => expect(byTestId(root, 'error-code').textContent).toBe('invalid_input'));
    expect(byTestId(root, 'error-message').textContent).toContain('not HTTPS');
  });

  it('saves a typed secret without showing it', async () => {
    const saved: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'webhook_secret_status') return { saved: false };
      if (cmd === 'save_webhook_secret') return void saved.push((args as { secret: string }).secret);
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(WebhooksScreen, { report: reportWithThree(), onBack: () => {} });
    await waitFor(() => byTestId(root, 'typed-secret'));
    type(byTestId(root, 'typed-secret'), 'the-crawlers-secret');
    byTestId<HTMLFormElement>(root, 'typed-secret').form?.requestSubmit();
    await waitFor(() => byTestId(root, 'secret-saved'));
    expect(saved).toEqual(['the-crawlers-secret']);
    expect(root.textContent).not.toContain('the-crawlers-secret');
  });

  it('replaces a stale result with the error that contradicts it', async () => {
    let fail = false;
    mockIPC((cmd) => {
      switch (cmd) {
        case 'webhook_secret_status':
          return { saved: true };
        case 'plan_webhooks':
          if (fail) throw { code: 'unreachable', message: 'GitLab did not answer: check the network. Details: os error 111' };
          return runReport([CREATED]);
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    const root = render(WebhooksScreen, { report: reportWithThree(), onBack: () => {} });
    await waitFor(() => byTestId(root, 'secret-saved'));
    type(byTestId(root, 'event-url'), EVENTS);
    click(byTestId(root, 'plan'));
    await waitFor(() => expect(byTestId(root, 'run-summary').textContent).toContain('1 to create'));
    expect(byTestId(root, 'run-summary').textContent).toContain('Nothing was changed yet.');
    fail = true;
    click(byTestId(root, 'plan'));
    await waitFor(() => byTestId(root, 'error'));
    expect(root.querySelector('[data-testid="run-summary"]')).toBeNull();
    expect(byTestId(root, 'hook-row-1').dataset.outcome).toBe('none');
    // The system's words only in the details.
    expect(byTestId(root, 'error-message').textContent).toBe('GitLab did not answer: check the network.');
    expect(byTestId(root, 'error-details').textContent).toBe('os error 111');
    expect(byTestId(root, 'error-details').closest('details')?.open).toBe(false);
  });
});

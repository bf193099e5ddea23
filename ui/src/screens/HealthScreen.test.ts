import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { byTestId, click, render, waitFor } from '../test/dom';
import type { Health, HealthDetail, RunReport } from '../lib/types';
import HealthScreen from './HealthScreen.svelte';

afterEach(() => clearMocks());

const URL = 'https://gitlab.example.com';

function detail(id: number, path: string, reasons: string[]): HealthDetail {
  return { kind: 'project', id, path, hooks_url: `${URL}/${path}/-/hooks`, reasons };
}

function health(overrides: { days_left?: number; fixed?: boolean; appeared?: number | null } = {}): Health {
  const fixed = overrides.fixed ?? false;
  const days = overrides.days_left ?? 200;
  return {
    status: {
      gitlab_url: URL,
      token: {
        valid: true,
        scopes: ['api'],
        mode: 'automatic',
        missing_scopes: [],
        expires_at: '2026-12-10',
        days_left: days,
        expires_soon: days < 30,
        warnings: [],
      },
      webhooks: {
        projects: 6,
        ok: fixed ? 5 : 2,
        missing: fixed ? [] : [7],
        disabled: fixed ? [] : [8],
        wrong: fixed ? [] : [9],
        duplicates: [],
        manual: [10],
        failed: [],
        groups: [],
        details: [
          ...(fixed
            ? []
            : [
                detail(7, 'acme/checkout', ["no hook with the crawler's URL"]),
                detail(8, 'acme/storefront', ['disabled by GitLab']),
                detail(9, 'acme/handbook', ['Wiki page events off']),
              ]),
          detail(10, 'partners/portal', ['your role here is Developer']),
        ],
      },
      requests: 42,
      scan: { full: false, new_after: 6, new: 1, checked: 4, carried: 2, escalated: null, record_error: null },
      mapping: {
        built_at: '2026-11-20T10:00:00+00:00',
        days_ago: 10,
        users: 120,
        members_then: 130,
        members_now: 133,
        appeared: overrides.appeared === undefined ? 3 : overrides.appeared,
        unknown: overrides.appeared === null ? 'GitLab does not count groups/1/members/all' : null,
      },
    },
    onboarded: {
      gitlab_url: URL,
      event_url: 'https://crawler.example.com/events',
      groups: ['acme'],
      projects: [],
      include_archived: false,
      tag_push: false,
      confidential: false,
      group_hooks: [],
      applied_at: '2026-11-01T10:00:00+00:00',
    },
    can_fix: true,
  };
}

const FIXED: RunReport = {
  groups: [],
  outcomes: [],
  summary: { total: 3, create: 1, update: 2, unchanged: 0, covered: 0, manual: 0, failed: 0, duplicates: 0, removed: 0 },
  cancelled: false,
  resumed: 0,
};

describe('Health screen', () => {
  it('shows each list, the mapping age and what a person must do; Fix fixes and checks again', async () => {
    const calls: string[] = [];
    let fixedYet = false;
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'health') return health({ fixed: fixedYet });
      if (cmd === 'fix_health') {
        fixedYet = true;
        return FIXED;
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(HealthScreen, {});
    await waitFor(() => byTestId(root, 'health-webhooks'));
    expect(byTestId(root, 'health-instance').textContent).toContain('https://crawler.example.com/events');
    expect(byTestId(root, 'missing-7').textContent).toContain('acme/checkout');
    expect(byTestId(root, 'disabled-8').textContent).toContain('disabled by GitLab');
    expect(byTestId(root, 'wrong-9').textContent).toContain('Wiki page events off');
    expect(byTestId(root, 'manual-10').textContent).toContain('partners/portal');
    expect(root.querySelector('[data-testid="list-duplicates"]')).toBeNull();
    expect(byTestId(root, 'mapping-age').textContent).toContain('10 days ago');
    expect(byTestId(root, 'mapping-age').textContent).toContain('3 members joined since');
    const todo = byTestId(root, 'todo-list').textContent ?? '';
    expect(todo).toContain('Ask a Maintainer');
    expect(todo).toContain('Build the user mapping again: 3 members');
    expect(byTestId(root, 'health-requests').textContent).toContain('42 requests');
    expect(root.querySelector('[data-testid="expiry-banner"]')).toBeNull();

    const fix = byTestId<HTMLButtonElement>(root, 'fix');
    expect(fix.textContent).toContain('Fix what can be fixed (3 projects)');
    click(fix);
    await waitFor(() => byTestId(root, 'fixed'));
    expect(byTestId(root, 'fixed').textContent).toContain('Fixed 3 webhooks');
    await waitFor(() => expect(root.querySelector('[data-testid="list-missing"]')).toBeNull());
    expect(calls).toEqual(['health', 'fix_health', 'health']);
    expect(byTestId<HTMLButtonElement>(root, 'fix').disabled).toBe(true);
  });

  it('lists group webhooks that are not as wanted', async () => {
    const h = health();
    h.status.webhooks.groups = [4];
    h.status.webhooks.details.push({
      kind: 'group',
      id: 4,
      path: 'acme',
      hooks_url: `${URL}/groups/acme/-/hooks`,
      reasons: ['disabled by GitLab'],
    });
    mockIPC((cmd) => {
      if (cmd === 'health') return h;
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(HealthScreen, {});
    await waitFor(() => byTestId(root, 'group-4'));
    expect(byTestId(root, 'group-4').textContent).toContain('acme: disabled by GitLab');
    expect(byTestId(root, 'todo-list').textContent).toContain('Fix the group webhooks of 1 group');
  });

  it('warns under 30 days and rotates only after a confirmation that says what happens', async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === 'health') return health({ days_left: 12 });
      if (cmd === 'rotate_token') return { gitlab_url: URL, expires_at: '2027-11-30', keychain: 'system' };
      if (cmd === 'copy_token') return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(HealthScreen, {});
    await waitFor(() => byTestId(root, 'expiry-banner'));
    expect(byTestId(root, 'expiry-days').textContent).toBe('in 12 days');
    expect(byTestId(root, 'todo-list').textContent).toContain('Rotate the token');

    click(byTestId(root, 'expiry-rotate'));
    const confirm = byTestId(root, 'rotate-confirm').textContent ?? '';
    expect(confirm).toContain('stops working at once');
    expect(confirm).toContain("crawler's");
    expect(calls.some((c) => c.cmd === 'rotate_token')).toBe(false);

    click(byTestId(root, 'rotate-no'));
    expect(root.querySelector('[data-testid="rotate-confirm"]')).toBeNull();
    click(byTestId(root, 'rotate'));
    click(byTestId(root, 'rotate-yes'));
    await waitFor(() => byTestId(root, 'rotated'));
    expect(calls.find((c) => c.cmd === 'rotate_token')?.args).toEqual({ expiresAt: null });
    expect(byTestId(root, 'rotated').textContent).toContain('2027-11-30');
    expect(byTestId(root, 'rotated').textContent).toContain("crawler's settings");
    click(byTestId(root, 'copy-token'));
    await waitFor(() => expect(byTestId(root, 'copy-token').textContent).toBe('Copied'));
  });

  it('says when the member count is unknown and shows errors in plain words', async () => {
    let fail = true;
    mockIPC((cmd) => {
      if (cmd === 'health') {
        if (fail) throw { code: 'not_onboarded', message: 'no finished webhook setup is recorded on this computer' };
        return health({ appeared: null });
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const root = render(HealthScreen, {});
    await waitFor(() => expect(byTestId(root, 'error-code').textContent).toBe('not_onboarded'));
    expect(root.querySelector('[data-testid="health-webhooks"]')).toBeNull();
    fail = false;
    click(byTestId(root, 'retry'));
    await waitFor(() => byTestId(root, 'mapping-age'));
    expect(byTestId(root, 'mapping-age').textContent).toContain('members since: unknown (GitLab does not count');
    expect(root.querySelector('[data-testid="error"]')).toBeNull();
  });
});

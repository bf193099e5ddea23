import type { Channel } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { byTestId, click, render, waitFor } from '../test/dom';
import { report } from '../test/fixtures';
import type { DetectProgress, TokenReport } from '../lib/types';
import ScopesScreen from './ScopesScreen.svelte';

afterEach(() => clearMocks());

type DetectArgs = { refresh: boolean; onProgress: Channel<DetectProgress> };

describe('Scopes screen', () => {
  it('streams progress, then shows mode, owner, counts, projects and groups', async () => {
    let finish: (r: TokenReport) => void = () => {};
    let channel: Channel<DetectProgress> | undefined;
    mockIPC((cmd, args) => {
      expect(cmd).toBe('detect_scopes');
      channel = (args as DetectArgs).onProgress;
      return new Promise<TokenReport>((resolve) => (finish = resolve));
    });
    const onReport = vi.fn();
    const root = render(ScopesScreen, { onBack: () => {}, onReport, onContinue: () => {} });

    await waitFor(() => expect(channel).toBeDefined());
    channel?.onmessage({ stage: 'projects', done: 40 });
    await waitFor(() => expect(byTestId(root, 'progress').textContent).toContain('40 so far'));

    finish(report());
    await waitFor(() => expect(byTestId(root, 'mode').dataset.mode).toBe('automatic'));
    expect(byTestId(root, 'owner').textContent).toBe('Crawler Admin');
    expect(byTestId(root, 'count-total').textContent).toBe('2');
    expect(byTestId(root, 'count-automatic').textContent).toBe('1');
    expect(byTestId(root, 'count-archived').textContent).toBe('1');
    // The archived project is skipped, as the Webhooks step skips it: not counted as by hand.
    expect(byTestId(root, 'count-manual').textContent).toBe('0');
    expect(byTestId(root, 'hook-skipped').closest('tr')?.textContent).toContain('acme/docs');
    expect(byTestId(root, 'by-role').textContent).toMatch(/Maintainer: 1.*Developer: 1/);
    const rows = byTestId(root, 'projects').querySelectorAll('tbody tr');
    expect(rows).toHaveLength(2);
    expect(rows[1].textContent).toContain('Archived');
    expect(rows[1].textContent).toContain('archived projects get no webhook');
    expect(byTestId(root, 'groups').textContent).toContain('Owner');
    expect(onReport).toHaveBeenCalledWith(report());
  });

  it('reuses the report first and asks again on "Check again"', async () => {
    const refreshes: boolean[] = [];
    mockIPC((_cmd, args) => {
      refreshes.push((args as DetectArgs).refresh);
      return report();
    });
    const root = render(ScopesScreen, { onBack: () => {}, onReport: () => {}, onContinue: () => {} });
    await waitFor(() => byTestId(root, 'report'));
    click(byTestId(root, 'refresh'));
    await waitFor(() => expect(refreshes).toEqual([false, true]));
  });

  it('explains missing scopes, warnings and an empty project list', async () => {
    mockIPC(() =>
      report({
        mode: 'insufficient',
        scopes: ['read_api'],
        missing_scopes: ['read_repository', 'read_user'],
        warnings: ['The token expires on 2026-12-01 (in 6 days)'],
        expiry: { status: 'soon', days_left: 6 },
        projects: [],
        groups: [],
        counts: { total: 0, by_role: {}, automatic: 0, manual: 0, archived: 0 },
      }),
    );
    const root = render(ScopesScreen, { onBack: () => {}, onReport: () => {}, onContinue: () => {} });
    await waitFor(() => expect(byTestId(root, 'mode').textContent).toBe('Insufficient'));
    expect(root.textContent).toContain('read_repository');
    expect(byTestId(root, 'warnings').textContent).toContain('in 6 days');
    expect(byTestId(root, 'no-projects').textContent).toContain('@crawler-admin');
    expect(byTestId<HTMLButtonElement>(root, 'continue-webhooks').disabled).toBe(true);
  });

  it("shows the core's error", async () => {
    mockIPC(() => {
      throw { code: 'unreachable', message: 'cannot reach gitlab.example.com' };
    });
    const root = render(ScopesScreen, { onBack: () => {}, onReport: () => {}, onContinue: () => {} });
    await waitFor(() => expect(byTestId(root, 'error-code').textContent).toBe('unreachable'));
  });
});

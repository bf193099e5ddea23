import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { SummaryInput } from '../lib/summary';
import { byTestId, click, render, waitFor } from '../test/dom';
import SummaryScreen from './SummaryScreen.svelte';

afterEach(() => clearMocks());

const input: SummaryInput = {
  gitlabUrl: 'https://gitlab.example.com',
  username: 'crawler-admin',
  expiresAt: '2027-06-01',
  expiry: { status: 'soon', days_left: 12 },
  hooks: {
    applied: true,
    total: 5,
    created: 2,
    updated: 1,
    unchanged: 0,
    covered: 0,
    manual: 2,
    failed: 0,
    groups_written: 0,
    cancelled: false,
    removed: 0,
  },
  verify: null,
  csv: {
    path: '/home/admin/mapping.csv',
    rows: 245,
    changed_since: false,
    uploaded_to: 'gs://bucket/mapping.csv',
    upload_verified: true,
  },
};

describe('Summary screen', () => {
  it('shows what earlier steps returned, without asking GitLab', () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    const root = render(SummaryScreen, { input, onBack: () => {}, onStartOver: async () => {} });
    const counts = [...root.querySelectorAll('[data-testid="summary-count"]')].map((d) => d.textContent);
    expect(counts).toEqual(['2', '1', '0', '0', '2', '0']);
    expect(byTestId(root, 'summary-hooks').textContent).toContain('Created');
    expect(byTestId(root, 'summary-hooks').textContent).toContain('2 projects need a webhook added by hand');
    expect(byTestId(root, 'summary-csv').textContent).toContain('Saved 245 rows to /home/admin/mapping.csv.');
    expect(byTestId(root, 'summary-csv').textContent).toContain('Uploaded to gs://bucket/mapping.csv; the storage confirmed its checksum.');
    expect(byTestId(root, 'summary-token').textContent).toContain('expires on 2027-06-01, in 12 days');
    expect(calls).toEqual([]);
  });

  it('exports the Markdown and the manual instructions through Rust', async () => {
    const sent: Record<string, unknown>[] = [];
    mockIPC((cmd, args) => {
      sent.push({ cmd, ...(args as object) });
      if (cmd === 'export_summary') return '/home/admin/summary.md';
      if (cmd === 'export_webhook_instructions') return { path: '/home/admin/hooks.md', projects: 2 };
      throw new Error(cmd);
    });
    const root = render(SummaryScreen, { input, onBack: () => {}, onStartOver: async () => {} });
    click(byTestId(root, 'export-summary'));
    await waitFor(() => expect(byTestId(root, 'summary-exported').textContent).toContain('/home/admin/summary.md'));
    expect(sent[0].cmd).toBe('export_summary');
    expect(sent[0].markdown).toContain('| Created | 2 |');
    click(byTestId(root, 'summary-export-instructions'));
    await waitFor(() => expect(byTestId(root, 'summary-instructions-saved').textContent).toContain('2 projects saved to /home/admin/hooks.md'));
    expect(sent[1]).toEqual({ cmd: 'export_webhook_instructions', format: 'markdown', withSecret: false });
  });

  it('starts over only after one confirmation', async () => {
    mockIPC(() => {});
    let cleared = 0;
    const root = render(SummaryScreen, {
      input,
      onBack: () => {},
      onStartOver: async () => {
        cleared += 1;
      },
    });
    click(byTestId(root, 'start-over'));
    expect(cleared).toBe(0);
    click(byTestId(root, 'start-over-no'));
    expect(root.querySelector('[data-testid="start-over-confirm"]')).toBeNull();
    click(byTestId(root, 'start-over'));
    click(byTestId(root, 'start-over-yes'));
    await waitFor(() => expect(cleared).toBe(1));
  });
});

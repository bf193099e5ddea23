import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { byTestId, click, render, waitFor } from '../test/dom';
import ErrorNotice from './ErrorNotice.svelte';

afterEach(() => clearMocks());

describe('ErrorNotice', () => {
  it('shows the plain words, and the code and system text only in closed details', () => {
    const root = render(ErrorNotice, {
      error: { code: 'dialog', message: 'The file dialog could not be shown: try again. Details: GDK error 3' },
    });
    expect(byTestId(root, 'error-message').textContent).toBe('The file dialog could not be shown: try again.');
    expect(byTestId(root, 'error-details').textContent).toBe('GDK error 3');
    expect(byTestId(root, 'error-code').closest('details')?.open).toBe(false);
    expect(root.querySelector('[data-testid="copy-link"]')).toBeNull();
  });

  it('offers to copy the link a browser could not open', async () => {
    const copied: unknown[] = [];
    mockIPC((cmd, args) => {
      copied.push({ cmd, args });
      return null;
    });
    const root = render(ErrorNotice, {
      error: { code: 'open_failed', message: 'No web browser could be opened. Details: gio: no handler' },
      link: 'https://gitlab.example.com/acme/api/-/hooks',
    });
    click(byTestId(root, 'copy-link'));
    await waitFor(() => expect(JSON.stringify(copied)).toContain('https://gitlab.example.com/acme/api/-/hooks'));
  });
});

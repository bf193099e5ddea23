import { describe, expect, it } from 'vitest';
import { byTestId, click, render } from '../test/dom';
import ExpiryBanner from './ExpiryBanner.svelte';

describe('Expiry banner', () => {
  it('shows the date and days left under 30 days, and offers rotation', () => {
    let rotations = 0;
    const root = render(ExpiryBanner, { expiresAt: '2026-12-10', daysLeft: 10, onRotate: () => rotations++ });
    expect(byTestId(root, 'expiry-date').textContent).toBe('2026-12-10');
    expect(byTestId(root, 'expiry-days').textContent).toBe('in 10 days');
    click(byTestId(root, 'expiry-rotate'));
    expect(rotations).toBe(1);
  });

  it('says tomorrow and today in words', () => {
    const tomorrow = render(ExpiryBanner, { expiresAt: '2026-12-01', daysLeft: 1, onRotate: () => {} });
    expect(byTestId(tomorrow, 'expiry-days').textContent).toBe('tomorrow');
    const today = render(ExpiryBanner, { expiresAt: '2026-11-30', daysLeft: 0, onRotate: () => {} });
    expect(byTestId(today, 'expiry-days').textContent).toBe('today');
  });

  it('stays hidden from 30 days on, and for a token without expiry', () => {
    const later = render(ExpiryBanner, { expiresAt: '2027-01-01', daysLeft: 30, onRotate: () => {} });
    expect(later.querySelector('[data-testid="expiry-banner"]')).toBeNull();
    const never = render(ExpiryBanner, { expiresAt: null, daysLeft: null, onRotate: () => {} });
    expect(never.querySelector('[data-testid="expiry-banner"]')).toBeNull();
  });
});

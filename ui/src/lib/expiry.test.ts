import { describe, expect, it } from 'vitest';
import { asExpiry, daysUntil, fromReport, fromRotation } from './expiry';
import { report } from '../test/fixtures';

const today = new Date(Date.UTC(2026, 10, 30, 23, 59));

describe('token expiry', () => {
  it('counts whole days from today in UTC', () => {
    expect(daysUntil('2026-12-07', today)).toBe(7);
    expect(daysUntil('2026-11-30', today)).toBe(0);
    expect(daysUntil('2026-11-29', today)).toBe(-1);
    expect(daysUntil('2027-11-30', today)).toBe(365);
    expect(daysUntil('soon', today)).toBeNull();
  });

  it('takes a rotation over the report it replaces', () => {
    const before = fromReport(report({ expires_at: '2026-12-10', expiry: { status: 'soon', days_left: 10 } }));
    expect(before).toEqual({ expiresAt: '2026-12-10', daysLeft: 10 });
    const after = fromRotation('2026-12-07', today);
    expect(after).toEqual({ expiresAt: '2026-12-07', daysLeft: 7 });
    expect(asExpiry(after)).toEqual({ status: 'soon', days_left: 7 });
    expect(asExpiry(fromRotation('2027-06-01', today))).toEqual({ status: 'ok', days_left: 183 });
    expect(asExpiry(fromRotation(null, today))).toEqual({ status: 'never' });
    expect(fromReport(report({ expires_at: null, expiry: { status: 'never' } }))).toEqual({ expiresAt: null, daysLeft: null });
  });
});

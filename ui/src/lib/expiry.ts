// The token's expiry as the banner and the Summary show it, after a rotation too.
import type { Expiry, TokenReport } from './types';

/** What the expiry banner needs: the date and whole days left (null: no expiry). */
export interface TokenExpiry {
  expiresAt: string | null;
  daysLeft: number | null;
}

/** Under this many days the token "expires soon" (as the core's `Expiry::Soon`). */
export const SOON_DAYS = 30;

/** Whole days from `today` (UTC) to `date` (`YYYY-MM-DD`); null for an unreadable date. */
export function daysUntil(date: string, today: Date): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const end = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Number.isNaN(end) ? null : Math.round((end - start) / 86_400_000);
}

/** The expiry a Scopes report gives. */
export function fromReport(r: TokenReport): TokenExpiry {
  return { expiresAt: r.expires_at, daysLeft: r.expiry.status === 'never' ? null : r.expiry.days_left };
}

/** The expiry of a token rotated `today` that GitLab says expires on `expiresAt`. */
export function fromRotation(expiresAt: string | null, today: Date): TokenExpiry {
  return { expiresAt, daysLeft: expiresAt === null ? null : daysUntil(expiresAt, today) };
}

/** The same as the core's `Expiry`, for the Summary. */
export function asExpiry(e: TokenExpiry): Expiry {
  if (e.expiresAt === null || e.daysLeft === null) return { status: 'never' };
  return { status: e.daysLeft < SOON_DAYS ? 'soon' : 'ok', days_left: e.daysLeft };
}

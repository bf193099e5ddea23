import { describe, expect, it } from 'vitest';
import { buildStageText, formatBytes, sourceLabel, summaryNotes } from './mapping';
import type { MappingSummary } from './types';

function summary(counts: Partial<MappingSummary['counts']>): MappingSummary {
  return {
    counts: { total: 10, by_source: {}, unresolved: 0, flagged: 0, excluded: 0, ...counts },
    written: 10,
    excluded_bots: 0,
    excluded_blocked: 0,
    warnings: [],
  };
}

describe('mapping words', () => {
  it('names sources and stages', () => {
    expect(sourceLabel('identity_provider')).toBe('Identity provider');
    expect(sourceLabel(null)).toBe('No email');
    expect(buildStageText({ stage: 'public_emails', done: 3, total: 40 })).toBe('Looking up public emails: 3 of 40 users');
    expect(buildStageText({ stage: 'emails', done: 2, total: null })).toBe("Reading the users' emails GitLab shows: 2 pages");
  });

  it('says what needs a look, and nothing when all is well', () => {
    expect(summaryNotes(summary({}))).toEqual([]);
    const notes = summaryNotes(summary({ unresolved: 1, flagged: 2, by_source: { guessed: 4 } }));
    expect(notes[0]).toMatch(/^1 person has no email/);
    expect(notes[1]).toMatch(/^2 rows need a look/);
    expect(notes[2]).toMatch(/^4 emails are guessed/);
    expect(summaryNotes(summary({ by_source: { guessed: 1 } }))[0]).toBe(
      '1 email is guessed from the domain: check it before uploading.',
    );
    expect(buildStageText({ stage: 'emails', done: 1, total: null })).toBe("Reading the users' emails GitLab shows: 1 page");
  });

  it('formats sizes', () => {
    expect(formatBytes(900)).toBe('900 bytes');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });
});

import { describe, expect, it } from 'vitest';
import { expiryText, roleLabel, rolesInOrder, stageText } from './format';

describe('format', () => {
  it('names roles as GitLab does', () => {
    expect(roleLabel('security_manager')).toBe('Security Manager');
    expect(roleLabel(null)).toBe('No role');
    expect(roleLabel('none')).toBe('No role');
  });

  it('orders roles highest first, unknown and none last', () => {
    expect(rolesInOrder({ none: 1, guest: 2, owner: 3 }).map(([r]) => r)).toEqual(['owner', 'guest', 'none']);
  });

  it('says when the token expires', () => {
    expect(expiryText({ status: 'never' })).toBe('never');
    expect(expiryText({ status: 'soon', days_left: 1 })).toBe('in 1 day');
    expect(expiryText({ status: 'soon', days_left: 0 })).toBe('today');
    expect(expiryText({ status: 'ok', days_left: 200 })).toBe('in 200 days');
  });

  it('describes progress', () => {
    expect(stageText('groups', 3)).toBe('Listing groups… 3 so far');
  });
});

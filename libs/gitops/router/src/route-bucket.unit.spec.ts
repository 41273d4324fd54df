import { routeBucket, routeKeyFromCookie } from './route-bucket';

describe('routeBucket', () => {
  it('is stable for a key and within 0..99', () => {
    for (let i = 0; i < 1000; i++) {
      const b = routeBucket(`user-${i}`);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(100);
      expect(Number.isInteger(b)).toBe(true);
      expect(routeBucket(`user-${i}`)).toBe(b);
    }
  });

  it('pins known values so a change of the hash (which would move users) fails loudly', () => {
    expect([routeBucket(''), routeBucket('a'), routeBucket('user-1'), routeBucket('user-2')]).toEqual([23, 15, 16, 5]);
    expect(new Set(['user-1', 'user-2', 'user-3', 'user-4'].map(routeBucket)).size).toBeGreaterThan(1);
  });

  it('spreads similar keys evenly: every decile holds 7..13 % of 10 000 keys', () => {
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const d = Math.floor(routeBucket(`user-${i}`) / 10);
      deciles[d] = (deciles[d] ?? 0) + 1;
    }
    for (const count of deciles) {
      expect(count).toBeGreaterThan(700);
      expect(count).toBeLessThan(1300);
    }
  });
});

describe('routeKeyFromCookie', () => {
  it('reads the route-key cookie among others', () => {
    expect(routeKeyFromCookie('a=1; route-key=abc; b=2')).toBe('abc');
    expect(routeKeyFromCookie('route-key=xyz')).toBe('xyz');
  });

  it('ignores a cookie whose name only ends in route-key', () => {
    expect(routeKeyFromCookie('myroute-key=no')).toBeUndefined();
    expect(routeKeyFromCookie('myroute-key=no; route-key=yes')).toBe('yes');
  });

  it('returns undefined without the cookie or with an empty value', () => {
    expect(routeKeyFromCookie(undefined)).toBeUndefined();
    expect(routeKeyFromCookie('a=1')).toBeUndefined();
    expect(routeKeyFromCookie('route-key=; a=1')).toBeUndefined();
  });
});

// Sticky assignment: a client key hashes to a stable bucket 0..99. FNV-1a over UTF-16 code units, then the
// murmur3 finalizer so similar keys ("user-1", "user-2") spread evenly. Pure and allocation-free.

export function routeBucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 100;
}

export const ROUTE_KEY_COOKIE = 'route-key';
export const ROUTE_KEY_HEADER = 'x-route-key';

/** The value of the `route-key` cookie in a Cookie header, or undefined. */
export function routeKeyFromCookie(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  let at = cookie.indexOf(`${ROUTE_KEY_COOKIE}=`);
  // only a whole cookie name counts: start of header or after "; "
  while (at > 0 && cookie.charCodeAt(at - 1) !== 0x20 && cookie.charCodeAt(at - 1) !== 0x3b) {
    at = cookie.indexOf(`${ROUTE_KEY_COOKIE}=`, at + 1);
  }
  if (at < 0) return undefined;
  const start = at + ROUTE_KEY_COOKIE.length + 1;
  const end = cookie.indexOf(';', start);
  const value = end < 0 ? cookie.slice(start) : cookie.slice(start, end);
  return value.length > 0 ? value : undefined;
}

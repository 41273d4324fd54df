// RFC 7235 challenges as registries send them: `Bearer realm="https://r/token",service="r",scope="repository:a:pull,push"`.
// Several challenges may share one header (`Basic realm="x", Bearer realm="y"`); quoted values may hold commas and
// backslash escapes; parameter names are case-insensitive.
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && /[\s,]/.test(header[i]!)) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  skipSpace();
  while (i < n) {
    const scheme = token();
    if (scheme === '') {
      i++;
      skipSpace();
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      while (i < n && header[i] === ' ') i++;
      const save = i;
      const name = token();
      while (i < n && header[i] === ' ') i++;
      if (name === '' || header[i] !== '=') {
        // not a parameter: the next challenge's scheme (or token68, which registries do not use)
        i = save;
        break;
      }
      i++;
      while (i < n && header[i] === ' ') i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
        value = header.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = value;
      while (i < n && header[i] === ' ') i++;
      if (header[i] === ',') i++;
      else break;
    }
    skipSpace();
  }
  return challenges;
}

export function bearerChallenge(header: string | null): Challenge | undefined {
  return header ? parseWwwAuthenticate(header).find((c) => c.scheme === 'bearer' && c.params.realm) : undefined;
}

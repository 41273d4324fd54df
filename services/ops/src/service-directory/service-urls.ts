// SERVICE_URLS=name=url,name=url: static routes that win over the registry (a service outside this NATS, a
// pinned canary). Parsed once at start; a bad entry fails the start naming the variable.
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function parseServiceUrls(raw: string | undefined): Map<string, string> {
  const urls = new Map<string, string>();
  for (const item of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    const name = at > 0 ? item.slice(0, at).trim() : '';
    const url = at > 0 ? item.slice(at + 1).trim() : '';
    if (!NAME.test(name)) throw new Error(`SERVICE_URLS: "${item}" does not start with a service name (name=url)`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`SERVICE_URLS: "${url}" for ${name} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`SERVICE_URLS: ${name} needs an http(s) URL, got "${url}"`);
    urls.set(name, url.replace(/\/+$/, ''));
  }
  return urls;
}

import { request } from 'node:http';

/** GET http://127.0.0.1:<port><path>; a 2xx within the timeout is a success, anything else a failure. */
export function httpProbe(port: number, probePath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: probePath, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 300);
    });
    req.once('timeout', () => req.destroy(new Error('probe timeout')));
    req.once('error', () => resolve(false));
    req.end();
  });
}

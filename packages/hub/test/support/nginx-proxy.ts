import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectTo } from './raw-http.js';

export const NGINX = '/usr/sbin/nginx';

/** A Debian nginx reverse proxy in front of a hub, with nginx's default proxy settings. */
export interface NginxProxy {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts nginx on a free loopback port with a temp prefix and config: one process, nothing from
 * /etc/nginx, and `proxy_pass` with no other proxy directive, so the defaults deployments get
 * apply (`proxy_http_version 1.0`, buffering on unless the response says `X-Accel-Buffering: no`).
 */
export interface NginxProxyOptions {
  /**
   * Buffer responses whatever they say (`proxy_ignore_headers X-Accel-Buffering`): a proxy that
   * holds an event stream until its buffers fill, as some deployments do.
   */
  readonly forceBuffering?: boolean;
}

export async function startNginxProxy(
  upstreamPort: number,
  options: NginxProxyOptions = {},
): Promise<NginxProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-nginx-'));
  const port = await freePort();
  const conf = `
daemon off;
master_process off;
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};${options.forceBuffering === true ? '\n      proxy_buffering on;\n      proxy_ignore_headers X-Accel-Buffering;' : ''}
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error('nginx exited at start');
    try {
      (await connectTo(port)).destroy();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('nginx did not listen within 10 s');
      await sleep(20);
    }
  }
  return {
    port,
    async close() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

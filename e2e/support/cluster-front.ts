import { freePort } from '@tessera/coordinator/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX = process.env.TESSERA_NGINX ?? '/usr/sbin/nginx';
const LOCATIONS = fileURLToPath(new URL('../../deploy/nginx/tessera-locations.conf', import.meta.url));
const MAPS = fileURLToPath(new URL('../../deploy/nginx/tessera-maps.conf', import.meta.url));

export interface ClusterFront {
  url: string;
  close(): Promise<void>;
}

/**
 * Debian's nginx in front of coordinator instances, with the repository's proxy rules
 * (deploy/nginx/tessera-maps.conf, tessera-locations.conf) as an operator includes them: the same files, not copies.
 */
export async function startClusterFront(ports: readonly number[]): Promise<ClusterFront> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
  const port = await freePort();
  const servers = ports.map((upstream) => `server 127.0.0.1:${upstream} max_fails=1 fail_timeout=5s;`).join('\n    ');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream tessera {
    ${servers}
    keepalive 32;
  }
  upstream tessera_sticky {
    hash $remote_addr consistent;
    ${servers}
  }
  include ${MAPS};
  server {
    listen 127.0.0.1:${port};
    include ${LOCATIONS};
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${output}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    close: async () => {
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

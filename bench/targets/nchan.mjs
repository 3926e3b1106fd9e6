// nginx + nchan (Debian packages nginx and libnginx-mod-nchan), run from a temp dir with its own
// config: one worker, loopback only, nothing from /etc/nginx, never the system service.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';

export const nchan = {
  name: 'nchan',
  describe: 'nginx 1 worker + nchan (C)',

  prepare() {
    if (!existsSync('/usr/sbin/nginx'))
      return { skip: 'nginx is not installed (bench/run.sh installs it with apt-get)' };
    if (!existsSync(MODULE)) return { skip: `${MODULE} missing (apt-get install libnginx-mod-nchan)` };
    return {};
  },

  command({ host, port, dir, maxFiles }) {
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      mkdirSync(join(dir, d), { recursive: true });
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      `load_module ${MODULE};
worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/server.log warn;
worker_rlimit_nofile ${maxFiles};
events {
  # Connection slots, not descriptors: nchan takes some of its own, and with exactly ulimit -n
  # slots nginx starts recycling subscribers before the descriptors run out.
  worker_connections ${2 * maxFiles};
  use epoll;
  multi_accept on;
}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # The publisher is one keep-alive connection for the whole run.
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  client_body_buffer_size 16k;
  nchan_shared_memory_size 256m;
  server {
    listen ${host}:${port} backlog=4096;
    # Publish: POST /pub?topic=T, the body is the message.
    location = /pub {
      nchan_publisher;
      nchan_channel_id $arg_topic;
      # A sane buffer, like the hub's --history-size 1000: the last 1,000 messages for a minute.
      nchan_message_buffer_length 1000;
      nchan_message_timeout 60s;
    }
    # Subscribe: GET /sub?topic=T as EventSource; start at the newest message, like Mercure
    # without Last-Event-ID.
    location = /sub {
      nchan_subscriber eventsource;
      nchan_channel_id $arg_topic;
      nchan_subscriber_first_message newest;
    }
  }
}
`,
    );
    return { cmd: '/usr/sbin/nginx', args: ['-p', dir, '-c', conf, '-e', join(dir, 'server.log')] };
  },

  subscribePath: (topic) => `/sub?topic=${encodeURIComponent(topic)}`,
  publish: (topic) => ({
    path: `/pub?topic=${encodeURIComponent(topic)}`,
    contentType: 'text/plain',
    bodyPrefix: '',
  }),
};

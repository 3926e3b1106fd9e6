import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHub } from '@tidings/hub';
import { startNginxProxy } from '@tidings/test-support';
import { CurlStream, curlOnce } from './support/curl-stream.js';
import { metric } from './support/read-metrics.js';
import { testCertificate } from './support/tls-cert.js';

const TOPIC = 'https://example.com/deploy';

// docs/deploy.md, tried: nginx terminates TLS and speaks h2 to browsers, and either HTTP/1.1
// (proxy_pass) or h2c (grpc_pass) to the hub. curl stands in for the browser.
for (const upstream of ['http/1.1', 'h2c'] as const) {
  describe(`nginx with h2 at the edge, ${upstream} to the hub`, { timeout: 60_000 }, () => {
    it('subscribe, publish and the event byte-exact through the proxy', async () => {
      const cert = await testCertificate();
      const hub = await createHub({ heartbeatMs: 0, limits: { publishRatePerSecond: 0 } });
      const { port } = await hub.listen(0, '127.0.0.1');
      const nginx = await startNginxProxy(port, {
        h2Front: { certFile: cert.certFile, keyFile: cert.keyFile, upstream },
      });
      const base = `https://127.0.0.1:${nginx.port}/.well-known/mercure`;
      const flags = ['--http2', '--cacert', cert.certFile];
      const stream = new CurlStream([...flags, `${base}?topic=${encodeURIComponent(TOPIC)}`]);
      try {
        await stream.until((t) => t.startsWith('retry: '), 'the stream to open through nginx');
        const pub = await curlOnce([...flags, base, '-d', `topic=${TOPIC}`, '-d', 'data=through nginx é']);
        assert.equal(pub.status, 200, pub.body);
        assert.equal(pub.version, '2', 'h2 at the edge');
        await stream.until((t) => t.includes(`id: ${pub.body}\ndata: through nginx é\n\n`), 'the event');
        const hubBase = `http://127.0.0.1:${port}`;
        const protocol = upstream === 'h2c' ? 'h2' : 'http/1.1';
        assert.equal(
          await metric(hubBase, 'tidings_streams', `{protocol="${protocol}"}`),
          1,
          `${upstream} to the hub`,
        );
      } finally {
        stream.kill();
        await nginx.close();
        await hub.close();
      }
    });
  });
}

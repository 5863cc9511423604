// bin/pxevirt starts Node without NODE_EXTRA_CA_CERTS (it costs every start 40–50 ms) and with the
// system's OpenSSL store. A CA a user added that way must still be trusted by the commands that
// make their own TLS connections: `pxevirt pull` against an HTTPS registry signed by that CA gets
// the registry's answer (here: no such image), not a certificate error; without the CA it is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCa, createServerCert } from '../../src/daemon/certs.ts';
import { pxevirt } from './cli-process.ts';

test('a CA in NODE_EXTRA_CA_CERTS is trusted by pull; without it the registry is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-extra-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await createCa();
  const cert = await createServerCert(ca, ['127.0.0.1']);
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  const requests: string[] = [];
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => server.close());
  const mirror = `docker.io=https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pull = (env: NodeJS.ProcessEnv) => pxevirt(undefined, ['pull', 'library/nothing:1', '--data-dir', join(dir, 'data'), '--registry-mirror', mirror, '--progress', 'none'], { env });

  const trusted = await pull({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
  assert.notEqual(trusted.code, 0);
  assert.ok(requests.some((u) => u.includes('/manifests/')), `the registry was asked for the manifest: ${JSON.stringify(requests)}\n${trusted.stderr}`);
  assert.doesNotMatch(trusted.stderr, /certificate|self.signed|UNABLE_TO/i);

  requests.length = 0;
  const untrusted = await pull({ NODE_EXTRA_CA_CERTS: '' });
  assert.notEqual(untrusted.code, 0);
  assert.deepEqual(requests, [], 'no request passed the TLS handshake');
});

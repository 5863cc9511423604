import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lazySystemStore } from './session.ts';

const openssl = ['--use-openssl-ca'];

test('with a kubeconfig CA under --use-openssl-ca, an unset or system SSL_CERT_FILE becomes the empty file', () => {
  for (const before of [undefined, '', '/etc/ssl/certs/ca-certificates.crt', '/usr/lib/ssl/cert.pem']) {
    const env: NodeJS.ProcessEnv = before === undefined ? {} : { SSL_CERT_FILE: before };
    lazySystemStore({ ca: 'PEM' }, env, openssl);
    assert.equal(env.SSL_CERT_FILE, '/dev/null', `from ${String(before)}`);
  }
});

test('a CA file someone chose, no kubeconfig CA, or Node\'s own store: SSL_CERT_FILE is left alone', () => {
  const chosen: NodeJS.ProcessEnv = { SSL_CERT_FILE: '/srv/corp-ca.pem' };
  lazySystemStore({ ca: 'PEM' }, chosen, openssl);
  assert.equal(chosen.SSL_CERT_FILE, '/srv/corp-ca.pem');
  const noCa: NodeJS.ProcessEnv = {};
  lazySystemStore({}, noCa, openssl);
  assert.equal(noCa.SSL_CERT_FILE, undefined);
  const bundled: NodeJS.ProcessEnv = {};
  lazySystemStore({ ca: 'PEM' }, bundled, []);
  assert.equal(bundled.SSL_CERT_FILE, undefined);
});

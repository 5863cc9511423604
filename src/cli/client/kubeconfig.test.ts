import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKubeconfigPath, kubeconfigCandidates, loadKubeconfig, parseKubeconfig, SOCKET_EXTENSION } from './kubeconfig.ts';
import { kubeconfigText, SOCKET_EXTENSION as DAEMON_SOCKET_EXTENSION } from '../../daemon/kubeconfig.ts';
import { parseSimpleYaml } from './simple-yaml.ts';
import { KubeconfigError, NoKubeconfigError } from './cli-errors.ts';

const text = `
apiVersion: v1
kind: Config
current-context: pxevirt
clusters:
- name: pxevirt
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${Buffer.from('-----BEGIN CERTIFICATE-----\nX\n').toString('base64')}
contexts:
- name: other
  context: {cluster: pxevirt, user: nobody}
- name: pxevirt
  context: {cluster: pxevirt, user: admin, namespace: lab}
users:
- name: admin
  user: {token: secret-token}
`;

test('resolves the current context to server, CA, token and namespace', () => {
  const access = parseKubeconfig(text, '/k');
  assert.equal(access.server, 'https://127.0.0.1:6443');
  assert.match(access.ca ?? '', /BEGIN CERTIFICATE/);
  assert.equal(access.token, 'secret-token');
  assert.equal(access.namespace, 'lab');
});

test('the namespace is default when the context names none', () => {
  assert.equal(parseKubeconfig(text.replace(', namespace: lab', ''), '/k').namespace, 'default');
});

test('a missing context or cluster is an error naming the file', () => {
  assert.throws(() => parseKubeconfig(text.replace('current-context: pxevirt', 'current-context: nope'), '/k'), (err: unknown) => err instanceof KubeconfigError && /\/k: context "nope" not found/.test(err.message));
});

test('uses --kubeconfig, else the first of $KUBECONFIG, else the data dir', () => {
  assert.deepEqual(kubeconfigCandidates('/x', { KUBECONFIG: '/a:/b' }), ['/x']);
  assert.deepEqual(kubeconfigCandidates(undefined, { KUBECONFIG: ':/a:/b' }), ['/a']);
  assert.deepEqual(kubeconfigCandidates(undefined, { HOME: '/home/u', uid: 1000 }), ['/home/u/.local/share/pxevirt/kubeconfig']);
  assert.equal(defaultKubeconfigPath({ uid: 0 }), '/var/lib/pxevirt/kubeconfig');
});

test('no kubeconfig anywhere says to run pxevirt up or set KUBECONFIG', () => {
  const enoent = () => {
    throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  };
  assert.throws(() => loadKubeconfig(undefined, { uid: 0 }, enoent), (err: unknown) => err instanceof NoKubeconfigError && err.message.startsWith('no kubeconfig: run `pxevirt up` or set KUBECONFIG'));
  assert.equal(loadKubeconfig(undefined, { KUBECONFIG: '/k' }, () => text).token, 'secret-token');
});

test('reads the socket path from the kubeconfig pxevirt up writes (simple YAML reader and library alike)', () => {
  assert.equal(SOCKET_EXTENSION, DAEMON_SOCKET_EXTENSION);
  const written = kubeconfigText({ server: 'https://127.0.0.1:6443', caPem: 'PEM', token: 't', socket: '/var/lib/pxevirt/api/api.sock' });
  assert.notEqual(parseSimpleYaml(written), undefined, 'the fast reader reads it');
  const access = parseKubeconfig(written, '/k');
  assert.equal(access.socket, '/var/lib/pxevirt/api/api.sock');
  assert.equal(access.server, 'https://127.0.0.1:6443');
  assert.equal(parseKubeconfig(kubeconfigText({ server: 'https://127.0.0.1:6443', caPem: 'PEM', token: 't' }), '/k').socket, undefined);
});

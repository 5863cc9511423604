// The argv pxevirt hands to OpenSSH's ssh and scp, and the target and port-spec grammar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortSpec, parseTarget } from './port-forward.ts';
import { parseScpOperand, scpArgv, shellQuote, sshArgv } from './ssh.ts';

const SELF = ['/usr/bin/node', '/opt/pxevirt/bin/pxevirt'];

test('targets are TYPE/NAME[.NAMESPACE] (a bare NAME is a VMI); anything else names what was expected', () => {
  assert.deepEqual(parseTarget('vmi/a'), { kind: 'vmi', name: 'a' });
  assert.deepEqual(parseTarget('vm/web-1.prod'), { kind: 'vm', name: 'web-1', namespace: 'prod' });
  assert.deepEqual(parseTarget('VirtualMachineInstance/x'), { kind: 'vmi', name: 'x' });
  assert.deepEqual(parseTarget('b'), { kind: 'vmi', name: 'b' });
  assert.throws(() => parseTarget('pod/a'), /expected TYPE\/NAME\[\.NAMESPACE\] with TYPE vmi or vm, found "pod\/a"/);
  assert.throws(() => parseTarget('vmi/A_B'), /found "vmi\/A_B"/);
  assert.throws(() => parseTarget('vmi/a.'), /found "vmi\/a\."/);
});

test('port specs are [LOCAL:]REMOTE[/tcp|/udp]', () => {
  assert.deepEqual(parsePortSpec('22'), { local: 22, remote: 22, protocol: 'tcp' });
  assert.deepEqual(parsePortSpec('0:80'), { local: 0, remote: 80, protocol: 'tcp' });
  assert.deepEqual(parsePortSpec('5353:53/udp'), { local: 5353, remote: 53, protocol: 'udp' });
  assert.throws(() => parsePortSpec('80:0'), /with ports from 1 to 65535.*found "80:0"/);
  assert.throws(() => parsePortSpec('22/sctp'), /found "22\/sctp"/);
});

test('ssh gets the ProxyCommand, the known-hosts file, the alias, identity, user and the command after --', () => {
  const argv = sshArgv(SELF, 'root@vmi/a.prod', 'default', { identityFile: '/k/id', knownHosts: '/k/known', port: 2222, kubeconfig: '/k/config 1', localSshOpts: ['-oBatchMode=yes'], command: 'uname -a' });
  assert.deepEqual(argv, [
    '-o', "ProxyCommand=/usr/bin/node /opt/pxevirt/bin/pxevirt port-forward --stdio vmi/a.prod 2222 --kubeconfig '/k/config 1'",
    '-o', 'UserKnownHostsFile=/k/known',
    '-o', 'HostKeyAlias=vmi/a.prod',
    '-i', '/k/id',
    '-oBatchMode=yes',
    '-l', 'root',
    '--', 'vmi/a.prod', 'uname -a',
  ]);
  // -l is the user when the target names none; the namespace defaults to the session's.
  const plain = sshArgv(SELF, 'vm/b', 'ns1', { username: 'fedora', knownHosts: '/k' });
  assert.deepEqual(plain.slice(-4), ['-l', 'fedora', '--', 'vm/b.ns1']);
});

test('scp takes exactly one remote side, written vmi.NAME.NS for scp and keyed vmi/NAME.NS in known hosts', () => {
  assert.deepEqual(parseScpOperand('./file:x'), { local: './file:x' });
  assert.deepEqual(parseScpOperand('u@vmi/a:/tmp/x'), { remote: { user: 'u', target: { kind: 'vmi', name: 'a' }, path: '/tmp/x' } });
  const up = scpArgv(SELF, 'local.bin', 'root@vmi/a:/tmp/x', 'default', { knownHosts: '/k', recursive: true });
  assert.deepEqual(up.slice(-4), ['-r', '--', 'local.bin', 'root@vmi.a.default:/tmp/x']);
  assert.ok(up.includes('HostKeyAlias=vmi/a.default'));
  const down = scpArgv(SELF, 'vm/b.prod:/etc/hostname', '.', 'default', { username: 'me', knownHosts: '/k' });
  assert.deepEqual(down.slice(-2), ['me@vm.b.prod:/etc/hostname', '.']);
  assert.throws(() => scpArgv(SELF, 'a', 'b', 'default', {}), /expected exactly one of SOURCE and DESTINATION/);
  assert.throws(() => scpArgv(SELF, 'vmi/a:/x', 'vmi/b:/y', 'default', {}), /expected exactly one/);
});

test('shell quoting leaves plain words and quotes the rest', () => {
  assert.equal(shellQuote('/a/b-c.d'), '/a/b-c.d');
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

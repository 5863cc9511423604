// KubeVirt's portforward subresource end to end, with one boot: a masquerade VMI (no declared
// ports) whose test guest runs dropbear and busybox httpd. The system's OpenSSH client runs a
// command through `pxevirt ssh` (port-forward --stdio as its ProxyCommand, the host key kept
// in --known-hosts under vmi/NAME.NAMESPACE), `pxevirt scp` copies a file both ways with equal
// checksums, and `pxevirt port-forward` serves curl from the guest's httpd. Bad input is a
// clear error that changes nothing: a port nothing listens on, ssh to a stopped VM, a second
// pause, guestosinfo without a guest agent.
// The pod network's bridge lives in a node namespace of this run; the daemon itself runs in
// the machine's namespace (it reaches the test's loopback registry).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, pxevirt as runCli } from '../cli/cli-process.ts';
import { startVmiNode, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';
import { promisify } from 'node:util';
import { sshServerUnavailable } from '../../scripts/guest/ssh-server.ts';

const run = promisify(execFile);
const skip = (await vmiNodeUnavailable()) ?? sshServerUnavailable();
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('pxevirt ssh, scp and port-forward reach a masquerade VMI; bad input is a clear error that changes nothing', { skip, timeout: 900_000 }, async (t) => {
  const node = await startVmiNode(t, { name: 'pf-guest', sshServer: true, nodeNetns: true });
  const keys = node.disk.ssh;
  assert.ok(keys, 'the disk was built with an SSH server');
  const work = mkdtempSync(join(tmpdir(), 'pxevirt-pf-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const pxevirt = (args: string[]) => runCli(node.daemon, args);
  const knownHosts = join(work, 'known_hosts');
  const sshFlags = ['-i', keys.privateKey, '--known-hosts', knownHosts, '--local-ssh-opts=-oStrictHostKeyChecking=accept-new', '--local-ssh-opts=-oBatchMode=yes'];

  const uid = await node.createVmi('pfvmi', {
    terminationGracePeriodSeconds: 0,
    domain: { resources: { requests: { memory: '128Mi' } }, devices: { autoattachGraphicsDevice: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] } },
    networks: [{ name: 'default', pod: {} }],
    volumes: [{ name: 'root', containerDisk: { image: node.image } }],
  });
  // A VM that is not running: ssh to it must fail clearly.
  await node.kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'stopped' }, spec: { runStrategy: 'Halted', template: { spec: { domain: { resources: { requests: { memory: '64Mi' } }, devices: {} } } } } }));
  await until('sshd and httpd up in the guest', async () => /PXEVIRT-GUEST httpd up/.test(await node.serial(uid)));

  // ssh runs a command; the guest's host key lands in --known-hosts under vmi/NAME.NAMESPACE.
  const ssh = await pxevirt(['ssh', 'root@vmi/pfvmi', ...sshFlags, '--command', 'echo "hello from $(hostname)"; uname -s']);
  assert.equal(ssh.code, 0, ssh.stderr);
  assert.equal(ssh.stdout, 'hello from pf-guest\nLinux\n');
  const known = (await run('ssh-keygen', ['-F', 'vmi/pfvmi.default', '-f', knownHosts])).stdout;
  assert.ok(known.includes(keys.hostPublicKey), `known hosts for vmi/pfvmi.default: ${known}`);
  // -l gives the user when the target has none; the exit code is the remote command's.
  const exit = await pxevirt(['ssh', 'vmi/pfvmi', '-l', 'root', ...sshFlags, '--command', 'exit 7']);
  assert.equal(exit.code, 7, exit.stderr);

  // scp both ways (-O: the guest has scp, no sftp-server); the checksums match.
  const up = join(work, 'up.bin');
  const down = join(work, 'down.bin');
  writeFileSync(up, randomBytes(256 * 1024));
  const put = await pxevirt(['scp', ...sshFlags, '--local-ssh-opts=-O', up, 'root@vmi/pfvmi:/tmp/copied.bin']);
  assert.equal(put.code, 0, put.stderr);
  const inGuest = await pxevirt(['ssh', 'root@vmi/pfvmi', ...sshFlags, '--command', 'sha256sum /tmp/copied.bin']);
  assert.equal(inGuest.stdout.split(' ')[0], sha(up), 'the guest has the same bytes');
  const get = await pxevirt(['scp', ...sshFlags, '--local-ssh-opts=-O', 'root@vmi/pfvmi:/tmp/copied.bin', down]);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(sha(down), sha(up));

  // port-forward: one process, the httpd's port (any free local one) and a port nothing listens on.
  const forward = spawn(BIN, ['port-forward', 'vmi/pfvmi', '0:80', '0:9999'], { env: { ...process.env, KUBECONFIG: node.daemon.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void forward.kill('SIGKILL'));
  let out = '';
  let err = '';
  forward.stdout.on('data', (b: Buffer) => (out += b.toString()));
  forward.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const ports = await until('both forwards listening', async () => {
    const m = [...out.matchAll(/^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$/gm)].map((x) => [x[2], x[1]] as const);
    return m.length === 2 ? new Map(m) : undefined;
  }, 30_000);
  const page = await run('curl', ['-sS', '--max-time', '30', `http://127.0.0.1:${ports.get('80')}/`]);
  assert.equal(page.stdout, 'PXEVIRT-HTTP hello from pf-guest\n');
  const nothing = await run('curl', ['-sS', '--max-time', '30', `http://127.0.0.1:${ports.get('9999')}/`]).then(
    () => 'answered',
    (e: { stderr?: string }) => e.stderr ?? 'failed',
  );
  assert.notEqual(nothing, 'answered');
  await until('the forwarder says why port 9999 gave nothing', async () => /port 9999\/tcp of VMI pfvmi closed before sending a byte: is anything listening\?/.test(err), 30_000);
  forward.kill('SIGTERM');
  await new Promise((resolve) => forward.once('close', resolve));

  // ssh to a stopped VM: a clear error, non-zero exit.
  const stopped = await pxevirt(['ssh', 'root@vm/stopped', ...sshFlags, '--command', 'true']);
  assert.notEqual(stopped.code, 0);
  assert.match(stopped.stderr, /VM stopped is not running \(it has no VirtualMachineInstance\)/);

  // guestosinfo: KubeVirt's words for a VMI without a guest agent.
  const osinfo = await node.daemon.kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances/pfvmi/guestosinfo']);
  assert.notEqual(osinfo.code, 0);
  assert.match(osinfo.stderr, /VMI does not have guest agent connected/);

  // A second pause is refused and the VMI stays paused; after unpause ssh works as before.
  assert.equal((await pxevirt(['pause', 'vmi', 'pfvmi'])).code, 0);
  const pausedReason = "{.status.conditions[?(@.type=='Paused')].reason}";
  await until('pfvmi Paused', async () => (await node.jsonpath('vmi', 'pfvmi', pausedReason)) === 'PausedByUser');
  const again = await pxevirt(['pause', 'vmi', 'pfvmi']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /Error pausing VirtualMachineInstance pfvmi: .*VMI is already paused/);
  assert.equal(await node.jsonpath('vmi', 'pfvmi', pausedReason), 'PausedByUser');
  assert.equal((await pxevirt(['unpause', 'vmi', 'pfvmi'])).code, 0);
  await until('pfvmi unpaused', async () => (await node.jsonpath('vmi', 'pfvmi', pausedReason)) === '');
  const after = await pxevirt(['ssh', 'root@vmi/pfvmi', ...sshFlags, '--command', 'cat /tmp/copied.bin | sha256sum']);
  assert.equal(after.stdout.split(' ')[0], sha(up), 'nothing changed in the guest');
});

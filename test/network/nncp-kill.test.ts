// A real `pxevirt up` SIGKILLed in the middle of an NNCP apply (issue 13): the daemon runs in a
// throwaway node namespace with `ip` behind a shim that, after really running
// `ip link set dev veth-k master br9` (the bridge exists, its port is enslaved, the port is
// not up yet: half-configured), marks a file and hangs. The test waits for the mark, kills the
// daemon's process group with SIGKILL and starts it again on the same data dir with the real
// `ip`: the checkpoint on disk is rolled back first (br9 deleted — it comes back as a new
// link — and a RolledBack Event says so), then the policy is applied again and is Available.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubectlMissing, startDaemonProcess, tempDataDir } from '../api/daemon-process.ts';
import { createNodeNamespace, ip, netnsUnavailable, type NodeNamespace } from '../helpers/netns.ts';

const skip = kubectlMissing() ?? (await netnsUnavailable());

interface IpLink {
  ifindex: number;
  ifname: string;
  master?: string;
  flags: string[];
}

async function link(ns: NodeNamespace, name: string): Promise<IpLink | undefined> {
  const list = JSON.parse(await ip('-n', ns.name, '-j', 'link', 'show')) as IpLink[];
  return list.find((l) => l.ifname === name);
}

/** A directory with an `ip` that runs the real one and hangs after the command naming `trigger`. */
function ipShim(t: { after(fn: () => unknown): void }, trigger: string): { dir: string; mark: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pxvt-ipshim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const realIp = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
  const mark = join(dir, 'reached');
  writeFileSync(
    join(dir, 'ip'),
    `#!/bin/sh\n${realIp} "$@" || exit $?\ncase " $* " in *" ${trigger} "*) : > ${mark}; exec sleep 600;; esac\n`,
  );
  chmodSync(join(dir, 'ip'), 0o755);
  return { dir, mark };
}

test('a daemon killed mid-apply rolls the node back at its next start, then applies the policy again', { skip, timeout: 300_000 }, async (t) => {
  const ns = await createNodeNamespace(t, { address: '10.78.0.2/24' });
  await ip('-n', ns.name, 'link', 'add', 'veth-k', 'type', 'veth', 'peer', 'name', 'veth-l');
  const dataDir = tempDataDir(t);
  const args = ['--node-name', 'node01', '--nncp-probe', 'none', '--netns-prefix', `pxnk${randomBytes(2).toString('hex')}-`, '--pxe-netns-prefix', `pxnq${randomBytes(2).toString('hex')}-`];
  const options = { controllers: true, netns: ns.name, args };

  const shim = ipShim(t, 'master br9');
  const path = process.env.PATH;
  process.env.PATH = `${shim.dir}:${path}`;
  let first;
  try {
    first = await startDaemonProcess(t, dataDir, options);
  } finally {
    process.env.PATH = path;
  }
  const policy = {
    apiVersion: 'nmstate.io/v1',
    kind: 'NodeNetworkConfigurationPolicy',
    metadata: { name: 'br9-policy' },
    spec: { desiredState: { interfaces: [{ name: 'br9', type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: [{ name: 'veth-k' }] } }] } },
  };
  const created = await first.kubectl(['create', '-f', '-'], JSON.stringify(policy));
  assert.equal(created.code, 0, created.stderr);
  for (let waited = 0; !existsSync(shim.mark); waited += 50) {
    assert.ok(waited < 120_000, `the apply never reached \`ip link set dev veth-k master br9\`; daemon log: ${first.log().slice(-2000)}`);
    await sleep(50);
  }
  await first.kill9();

  // Half-configured, as the killed daemon left it, with its checkpoint on disk.
  const half = await link(ns, 'br9');
  assert.ok(half, 'br9 was created before the kill');
  assert.equal((await link(ns, 'veth-k'))?.master, 'br9');
  assert.ok(existsSync(join(dataDir, 'nncp', 'checkpoint.json')), 'the checkpoint is on disk');

  const second = await startDaemonProcess(t, dataDir, options);
  const wait = await second.kubectl(['wait', 'nncp/br9-policy', '--for=condition=Available', '--timeout=120s']);
  assert.equal(wait.code, 0, `${wait.stderr}; daemon log: ${second.log().slice(-2000)}`);
  const events = await second.kubectl(['get', 'events', '-A', '--field-selector', 'reason=RolledBack', '-o', 'jsonpath={range .items[*]}{.involvedObject.name}: {.message}{"\\n"}{end}']);
  assert.match(events.stdout, /^br9-policy: pxevirt stopped while applying generation 1 of this policy \(started [^)]+\); rolled back to the previous state \(\d+ change\(s\) undone\); it is applied again$/m);
  const again = await link(ns, 'br9');
  assert.ok(again?.flags.includes('UP'), 'br9 is up after the new apply');
  assert.notEqual(again?.ifindex, half.ifindex, 'the half-made br9 was deleted by the rollback and made anew');
  assert.equal((await link(ns, 'veth-k'))?.master, 'br9');
  assert.equal(existsSync(join(dataDir, 'nncp', 'checkpoint.json')), false, 'no checkpoint left once applied');
  assert.equal(await second.stop(), 0);
});

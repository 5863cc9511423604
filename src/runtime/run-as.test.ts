import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePasswdLine, resolveRunAsUser, RunAsUserError } from './run-as.ts';

test('a passwd line gives the name, uid and gid', () => {
  assert.deepEqual(parsePasswdLine('pxevirt-qemu:x:995:995::/nonexistent:/usr/sbin/nologin\n'), { name: 'pxevirt-qemu', uid: 995, gid: 995 });
  assert.equal(parsePasswdLine('broken:x:abc:1::/:/bin/sh'), undefined);
  assert.equal(parsePasswdLine(''), undefined);
});

test('resolving refuses root, unknown users and names that are not user names, naming the setting', async () => {
  await assert.rejects(resolveRunAsUser('root', 'qemuUser'), (err: unknown) => err instanceof RunAsUserError && /^qemuUser: expected an existing user other than root .* found "root": its uid or gid is 0/.test(err.message));
  await assert.rejects(resolveRunAsUser('pxevirt-no-such-user', 'qemuUser'), (err: unknown) => err instanceof RunAsUserError && /found "pxevirt-no-such-user": no such user$/.test(err.message));
  await assert.rejects(resolveRunAsUser('-x', '--user'), (err: unknown) => err instanceof RunAsUserError && /^--user: .* found "-x": not a user name$/.test(err.message));
  const nobody = await resolveRunAsUser('nobody', 'qemuUser');
  assert.equal(nobody.name, 'nobody');
  assert.ok(nobody.uid > 0);
});

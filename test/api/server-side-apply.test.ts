// Server-side apply and `kubectl diff` with the real kubectl: applying twice changes nothing
// the second time, two field managers conflict until one forces, an object made by client-side
// apply moves to server-side apply without conflicts, and diff shows (exit 1) or not (exit 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemonProcess } from './daemon-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const nad = (name: string, bridge: string, labels: Record<string, string> = {}) => `apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: ${name}
${Object.keys(labels).length > 0 ? `  labels:\n${Object.entries(labels).map(([k, v]) => `    ${k}: "${v}"`).join('\n')}\n` : ''}spec:
  config: '{"cniVersion":"0.3.1","name":"${name}","type":"bridge","bridge":"${bridge}"}'
`;

test('kubectl server-side apply, conflicts, migration and diff', async (t) => {
  const d = await startDaemonProcess(t);
  const get = async (name: string): Promise<Obj> => {
    const r = await d.kubectl(['get', 'net-attach-def', name, '-o', 'json', '--show-managed-fields']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Obj;
  };

  await t.test('apply --server-side twice: the second changes nothing', { timeout: 60_000 }, async () => {
    const first = await d.kubectl(['apply', '--server-side', '-f', '-'], nad('ssa', 'br-a'));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /networkattachmentdefinition\.k8s\.cni\.cncf\.io\/ssa serverside-applied/);
    const before = await get('ssa');
    const entry = (before.metadata.managedFields as Obj[]).find((m) => m.manager === 'kubectl');
    assert.ok(entry, JSON.stringify(before.metadata.managedFields));
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.fieldsType, 'FieldsV1');
    assert.deepEqual(entry.fieldsV1, { 'f:spec': { 'f:config': {} } });
    const second = await d.kubectl(['apply', '--server-side', '-f', '-'], nad('ssa', 'br-a'));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /ssa serverside-applied/);
    const after = await get('ssa');
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'the second apply wrote nothing');
    assert.deepEqual(after.metadata.managedFields, before.metadata.managedFields);
  });

  await t.test('a second field manager conflicts on a field it would change, and --force-conflicts takes it', { timeout: 60_000 }, async () => {
    const conflict = await d.kubectl(['apply', '--server-side', '--field-manager', 'flux', '-f', '-'], nad('ssa', 'br-b'));
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.config/);
    assert.match(JSON.parse((await get('ssa')).spec.config as string).bridge, /^br-a$/, 'a refused apply changed nothing');
    // The same value is shared, not a conflict.
    const shared = await d.kubectl(['apply', '--server-side', '--field-manager', 'argo', '-f', '-'], nad('ssa', 'br-a', { team: 'x' }));
    assert.equal(shared.code, 0, shared.stderr);
    const forced = await d.kubectl(['apply', '--server-side', '--field-manager', 'flux', '--force-conflicts', '-f', '-'], nad('ssa', 'br-b'));
    assert.equal(forced.code, 0, forced.stderr);
    const now = await get('ssa');
    assert.equal(JSON.parse(now.spec.config as string).bridge, 'br-b');
    const managers = Object.fromEntries((now.metadata.managedFields as Obj[]).map((m) => [m.manager, m.fieldsV1]));
    assert.deepEqual(managers.flux, { 'f:spec': { 'f:config': {} } });
    assert.deepEqual(managers.argo, { 'f:metadata': { 'f:labels': { 'f:team': {} } } }, 'argo lost .spec.config to the forced apply');
    assert.equal(managers.kubectl, undefined, 'kubectl owned only .spec.config and lost it');
  });

  await t.test('an object made by client-side apply moves to server-side apply without conflicts', { timeout: 60_000 }, async () => {
    const csa = await d.kubectl(['apply', '-f', '-'], nad('csa', 'br-c'));
    assert.equal(csa.code, 0, csa.stderr);
    const created = await get('csa');
    assert.ok((created.metadata.managedFields as Obj[]).some((m) => m.manager === 'kubectl-client-side-apply' && m.operation === 'Update'), JSON.stringify(created.metadata.managedFields));
    const ssa = await d.kubectl(['apply', '--server-side', '-f', '-'], nad('csa', 'br-d'));
    assert.equal(ssa.code, 0, ssa.stderr);
    const migrated = await get('csa');
    assert.equal(JSON.parse(migrated.spec.config as string).bridge, 'br-d');
    const kubectl = (migrated.metadata.managedFields as Obj[]).find((m) => m.manager === 'kubectl' && m.operation === 'Apply');
    assert.ok(kubectl?.fieldsV1?.['f:spec']?.['f:config'], JSON.stringify(migrated.metadata.managedFields));
    assert.ok(!(migrated.metadata.managedFields as Obj[]).some((m) => m.manager === 'kubectl-client-side-apply'), `kubectl moved the client-side entry: ${JSON.stringify(migrated.metadata.managedFields)}`);
    const lastApplied = JSON.parse(migrated.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] as string) as Obj;
    assert.equal(JSON.parse(lastApplied.spec.config as string).bridge, 'br-d', 'the client-side annotation follows the server-side apply');
  });

  await t.test('kubectl diff shows a change and exits 1, nothing to change exits 0, and writes nothing', { timeout: 60_000 }, async () => {
    const before = await get('csa');
    const same = await d.kubectl(['diff', '--server-side', '-f', '-'], nad('csa', 'br-d'));
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.equal(same.stdout, '');
    const changed = await d.kubectl(['diff', '--server-side', '-f', '-'], nad('csa', 'br-e'));
    assert.equal(changed.code, 1, changed.stdout + changed.stderr);
    assert.match(changed.stdout, /^-.*br-d/m);
    assert.match(changed.stdout, /^\+.*br-e/m);
    const clientSide = await d.kubectl(['diff', '-f', '-'], nad('csa', 'br-f'));
    assert.equal(clientSide.code, 1, clientSide.stdout + clientSide.stderr);
    assert.match(clientSide.stdout, /^\+.*br-f/m);
    const after = await get('csa');
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'diff (a dry run) wrote nothing');
  });
});

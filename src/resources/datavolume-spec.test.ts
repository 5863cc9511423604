import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataVolumeKind } from './datavolume-kind.ts';
import { planDataVolume } from './datavolume-spec.ts';
import { dataVolumesOfVm, dataVolumeTemplateCauses } from './datavolume-template.ts';
import { pvcKind } from './pvc-kind.ts';

const create = { operation: 'CREATE' } as const;
const dv = (spec: unknown) => ({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'd', namespace: 'default' }, spec });
const messages = (spec: unknown) => dataVolumeKind.validate(dv(spec), create).map((c) => `${c.field}: ${c.message}`);
const size = { resources: { requests: { storage: '1Gi' } } };

test('each source is read into its plan; spec.storage gets CDI defaults, spec.pvc is taken as written', () => {
  assert.deepEqual(planDataVolume({ source: { http: { url: 'https://x/a.img.xz', secretRef: 's', certConfigMap: 'ca' } }, storage: size }, 'ns').value, {
    source: { type: 'http', url: 'https://x/a.img.xz', certConfigMap: 'ca', secretRef: 's' },
    claimSpec: { ...size, accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' },
  });
  assert.deepEqual(planDataVolume({ source: { registry: { url: 'docker://quay.io/x/y:1' } }, pvc: { accessModes: ['ReadWriteMany'], ...size } }, 'ns').value?.source, { type: 'registry', url: 'docker://quay.io/x/y:1', image: 'quay.io/x/y:1' });
  assert.deepEqual(planDataVolume({ source: { pvc: { name: 'g' } }, storage: {} }, 'ns').value?.source, { type: 'pvc', namespace: 'ns', name: 'g' });
  assert.deepEqual(planDataVolume({ source: { blank: {} }, storage: size }, 'ns').value?.source, { type: 'blank' });
});

test('admission names the field, the expected and the found value', () => {
  assert.deepEqual(messages({ source: {}, storage: size }), ['spec.source: Invalid value: expected exactly one source (blank, http, registry, pvc), found none']);
  assert.deepEqual(messages({ source: { blank: {}, http: { url: 'http://a/b' } }, storage: size }), ['spec.source: Invalid value: expected exactly one source (blank, http, registry, pvc), found blank, http']);
  assert.deepEqual(messages({ source: { s3: { url: 'x' } }, storage: size }), ['spec.source.s3: Unsupported value: source s3 is not supported by pxevirt; supported sources are blank, http, registry, pvc']);
  assert.deepEqual(messages({ source: { http: { url: 'ftp://a/b' } }, storage: size }), ['spec.source.http.url: Invalid value: "ftp://a/b": expected an http:// or https:// URL']);
  assert.deepEqual(messages({ source: { registry: { url: 'quay.io/x' } }, storage: size }), ['spec.source.registry.url: Invalid value: "quay.io/x": expected docker://IMAGE (an imageStream or oci-archive is not supported)']);
  assert.deepEqual(messages({ source: { blank: {} } }), ['spec: Invalid value: expected exactly one of pvc and storage, found neither']);
  assert.deepEqual(messages({ source: { blank: {} }, storage: {} }), ['spec.storage.resources[storage]: Required value']);
  assert.deepEqual(messages({ source: { blank: {} }, pvc: size }), ['spec.pvc.accessModes: Required value: at least 1 access mode is required']);
  assert.deepEqual(messages({ source: { pvc: { name: 'g' } }, storage: {} }), []);
  const old = dv({ source: { blank: {} }, storage: size });
  assert.deepEqual(dataVolumeKind.validate(dv({ source: { blank: {} }, storage: { resources: { requests: { storage: '2Gi' } } } }), { operation: 'UPDATE', old }).map((c) => c.message), ['Forbidden: the DataVolume spec cannot be changed after creation']);
});

test('a claim defaults to the local class and Filesystem, is Pending until bound, and its spec is fixed', () => {
  const pvc = pvcKind.default({ metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], ...size } }, create);
  assert.deepEqual([(pvc.spec as Record<string, unknown>).storageClassName, (pvc.spec as Record<string, unknown>).volumeMode, (pvc.status as Record<string, unknown>).phase], ['local', 'Filesystem', 'Pending']);
  assert.deepEqual(pvcKind.validate(pvc, create), []);
  const bigger = { ...pvc, spec: { ...(pvc.spec as object), resources: { requests: { storage: '2Gi' } } } };
  assert.deepEqual(pvcKind.validate(bigger, { operation: 'UPDATE', old: pvc }).map((c) => `${c.field}: ${c.message}`), ['spec: Forbidden: spec is immutable after creation (pxevirt does not resize claims)']);
  const bound = { ...pvc, spec: { ...(pvc.spec as object), volumeName: 'pvc-1' } };
  assert.deepEqual(pvcKind.validate(bound, { operation: 'UPDATE', old: pvc }), []);
  assert.deepEqual(pvcKind.validate({ metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteSometimes'], resources: { requests: { storage: '-1' } }, volumeMode: 'Tape' } }, create).map((c) => `${c.field}: ${c.message}`), [
    'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"',
    'spec.resources[storage]: Invalid value: "-1": must be greater than zero',
    'spec.volumeMode: Unsupported value: "Tape": supported values: "Block", "Filesystem"',
  ]);
});

test('dataVolumeTemplates are checked like DataVolumes and become DataVolumes the VM owns', () => {
  const vmSpec = { dataVolumeTemplates: [{ metadata: { name: 'root', labels: { a: 'b' } }, spec: { source: { blank: {} }, storage: size } }, { metadata: {}, spec: { source: { blank: {} }, storage: size } }] };
  assert.deepEqual(dataVolumeTemplateCauses(vmSpec).map((c) => c.field), ['spec.dataVolumeTemplates[1].metadata.name']);
  const [made] = dataVolumesOfVm({ apiVersion: 'kubevirt.io/v1', metadata: { name: 'vm', namespace: 'ns', uid: 'u' }, spec: vmSpec });
  assert.deepEqual(made, {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: 'root', namespace: 'ns', labels: { a: 'b' }, ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'vm', uid: 'u', controller: true, blockOwnerDeletion: true }] },
    spec: { source: { blank: {} }, storage: size },
  });
});

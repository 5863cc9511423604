import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cause } from './causes.ts';
import { validateVmi } from './vmi-validate.ts';
import { setPath, validVmi } from '../../test/helpers/kubevirt-fixtures.ts';
import { assertCause } from '../../test/helpers/causes.ts';

type Obj = Record<string, unknown>;
const causesOf = (edit: (vmi: Obj) => void): Cause[] => {
  const vmi = validVmi();
  edit(vmi);
  return validateVmi(vmi, { operation: 'CREATE' });
};
const REQ = 'spec.domain.resources.requests.memory';
const LIM = 'spec.domain.resources.limits.memory';

test('no memory requested', () => {
  const causes = causesOf((v) => setPath(v, 'spec.domain.resources', undefined));
  assertCause(causes, REQ, `no memory requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' or '${REQ}' must be set`);
  assert.deepEqual(causesOf((v) => {
    setPath(v, 'spec.domain.resources', undefined);
    setPath(v, 'spec.domain.memory', { guest: '128Mi' });
  }), []);
});

test('memory below 1M', () => {
  assertCause(causesOf((v) => setPath(v, REQ, '999k')), REQ, `${REQ} '999k': must be greater than or equal to 1M.`);
  assert.deepEqual(causesOf((v) => setPath(v, REQ, '1M')), []);
});

test('negative memory request and limit', () => {
  assertCause(causesOf((v) => setPath(v, REQ, '-1Gi')), REQ, `${REQ} '-1Gi': must be greater than or equal to 0.`);
  assertCause(causesOf((v) => setPath(v, LIM, '-1Gi')), LIM, `${LIM} '-1Gi': must be greater than or equal to 0.`);
});

test('memory request above the limit', () => {
  const causes = causesOf((v) => {
    setPath(v, REQ, '1Gi');
    setPath(v, LIM, '512Mi');
  });
  assertCause(causes, REQ, `${REQ} '1Gi' is greater than ${LIM} '512Mi'`);
});

test('guest memory above the limit', () => {
  const causes = causesOf((v) => {
    setPath(v, LIM, '512Mi');
    setPath(v, REQ, '512Mi');
    setPath(v, 'spec.domain.memory', { guest: '1Gi' });
  });
  assertCause(causes, 'spec.domain.memory.guest', `spec.domain.memory.guest '1Gi' must be equal to or less than the memory limit ${LIM} '512Mi'`);
});

test('a malformed quantity', () => {
  assertCause(causesOf((v) => setPath(v, REQ, 'lots')), REQ, /quantities must match the regular expression/);
});

test('machine types outside the q35 family are refused', () => {
  for (const type of ['pc', 'pc-i440fx-9.0']) {
    const causes = causesOf((v) => setPath(v, 'spec.domain.machine', { type }));
    assertCause(causes, 'spec.domain.machine.type', `spec.domain.machine.type is not supported: ${type} (allowed values: [q35* pc-q35*])`);
  }
  assert.deepEqual(causesOf((v) => setPath(v, 'spec.domain.machine', { type: 'pc-q35-9.0' })), []);
});

test('BIOS and EFI together, and secure boot without SMM', () => {
  const both = causesOf((v) => setPath(v, 'spec.domain.firmware', { bootloader: { bios: {}, efi: {} } }));
  assertCause(both, 'spec.domain.firmware.bootloader', 'spec.domain.firmware.bootloader has both EFI and BIOS configured, but they are mutually exclusive.');
  const noSmm = causesOf((v) => {
    setPath(v, 'spec.domain.firmware', { bootloader: { efi: {} } });
    setPath(v, 'spec.domain.features', { smm: { enabled: false } });
  });
  assertCause(noSmm, 'spec.domain', 'spec.domain has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled.');
});

test('hostname must be a DNS label and subdomain a DNS subdomain', () => {
  assertCause(causesOf((v) => setPath(v, 'spec.hostname', 'a.b')), 'spec.hostname', /^spec.hostname does not conform to the kubernetes DNS_LABEL rules : a lowercase RFC 1123 label/);
  assertCause(causesOf((v) => setPath(v, 'spec.subdomain', 'A_B')), 'spec.subdomain', /^spec.subdomain does not conform to the kubernetes DNS_SUBDOMAIN rules : /);
});

test('an unknown eviction strategy', () => {
  assertCause(causesOf((v) => setPath(v, 'spec.evictionStrategy', 'Sometimes')), 'spec.evictionStrategy', 'spec.evictionStrategy is set with an unrecognized option: Sometimes');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DNS1123_LABEL_MESSAGE, DNS1123_SUBDOMAIN_MESSAGE, dns1123LabelErrors, dns1123SubdomainErrors, validateObjectName } from './names.ts';

test('the subdomain message is the Kubernetes text', () => {
  assert.equal(
    DNS1123_SUBDOMAIN_MESSAGE,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  );
});

test('the label message is the Kubernetes text', () => {
  assert.equal(
    DNS1123_LABEL_MESSAGE,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  );
});

test('subdomains allow dots, labels do not', () => {
  assert.deepEqual(dns1123SubdomainErrors('a.b-c'), []);
  assert.deepEqual(dns1123LabelErrors('a.b'), [DNS1123_LABEL_MESSAGE]);
  assert.deepEqual(dns1123SubdomainErrors('Upper'), [DNS1123_SUBDOMAIN_MESSAGE]);
  assert.deepEqual(dns1123SubdomainErrors('-x'), [DNS1123_SUBDOMAIN_MESSAGE]);
});

test('length limits are 253 for subdomains and 63 for labels', () => {
  assert.deepEqual(dns1123LabelErrors('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(dns1123SubdomainErrors('a'.repeat(254)), ['must be no more than 253 characters']);
});

test('an invalid metadata.name is reported with its value', () => {
  const causes = validateObjectName({ metadata: { name: 'Bad_Name' } });
  assert.equal(causes.length, 1);
  assert.equal(causes[0]?.field, 'metadata.name');
  assert.equal(causes[0]?.message, `Invalid value: "Bad_Name": ${DNS1123_SUBDOMAIN_MESSAGE}`);
});

test('a missing name is required unless generateName is given', () => {
  assert.equal(validateObjectName({ metadata: {} })[0]?.message, 'Required value: name or generateName is required');
  assert.deepEqual(validateObjectName({ metadata: { generateName: 'vmi-' } }), []);
  assert.equal(validateObjectName({ metadata: { generateName: 'VMI-' } })[0]?.field, 'metadata.generateName');
});

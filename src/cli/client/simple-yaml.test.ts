import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { parseSimpleYaml } from './simple-yaml.ts';
import { kubeconfigText } from '../../daemon/kubeconfig.ts';

/** Where parseSimpleYaml answers, it answers as the yaml library does. */
function agrees(text: string): boolean {
  const simple = parseSimpleYaml(text);
  if (simple === undefined) return false;
  assert.deepEqual(simple, parse(text), `parseSimpleYaml differs from yaml.parse on:\n${text}`);
  return true;
}

test('the kubeconfig pxevirt up writes is read without the library, as the library reads it', () => {
  const text = kubeconfigText({ server: 'https://127.0.0.1:6443', caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', token: 'QOAE_tS85uyFI_dmqZ8zrRFEk4hx6CwJE76xmelVuMk' });
  assert.ok(agrees(text));
  assert.ok(agrees(kubeconfigText({ server: 'https://[::1]:6443', caPem: 'x', token: '3abc-def' })), 'a token starting with a digit');
});

test('a kubectl-style kubeconfig (sequences at the key\'s indentation, quoted strings, comments) is read', () => {
  const text = [
    '# written by hand',
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    '    certificate-authority-data: LS0tLS1CRUdJTg==',
    '    server: https://10.0.0.1:6443',
    '    insecure-skip-tls-verify: true',
    '  name: kind-kind',
    'contexts:',
    '- context:',
    '    cluster: kind-kind',
    '    user: kind-kind',
    "    namespace: 'team''s'",
    '  name: kind-kind',
    'current-context: "kind-kind"',
    'kind: Config',
    'preferences: {}',
    'users:',
    '- name: kind-kind',
    '  user:',
    '    client-certificate-data: LS0t',
    '    client-key-data: LS0t',
    '    exec: ~',
    '',
  ].join('\n');
  assert.ok(agrees(text));
  assert.equal((parseSimpleYaml(text) as { contexts: { context: { namespace: string } }[] }).contexts[0]!.context.namespace, "team's");
});

test('anything outside the subset is left to the library', () => {
  for (const text of [
    'a: {b: 1}',
    'a: [1, 2]',
    'a: &x b\nc: *x',
    'a: !!str b',
    'a: |\n  text',
    'a: >\n  text',
    'a: b\n  continued',
    'a: "esc\\"aped"',
    'a: b # comment',
    'a: 1',
    'a: 0x1f',
    'a: .inf',
    'a: -b',
    'a: b\na: c',
    '---\na: b',
    'a:\tb',
    'a: b\r\nc: d',
    'true: x',
    '1: x',
    'null: x',
    '"quoted key": x',
    'just a scalar',
    '{"json": true}',
    '  a: indented top',
    'a:\n    b: 1\n  c: 2',
  ]) {
    assert.equal(parseSimpleYaml(text), undefined, JSON.stringify(text));
  }
});

// Keys and strings from a kubeconfig-like alphabet, with the characters YAML gives meaning to.
const key = fc.stringMatching(/^[a-z][a-z0-9._/-]{0,12}$/);
const str = fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[A-Za-z0-9_+/=:.@#'" -]{0,30}$/), fc.constantFrom('true', 'True', 'null', '~', '1', '0x1f', '1e3', '.inf', 'yes', 'on', '-', '- a', ': ', '#', "it's", '', ' '));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, str, fc.boolean(), fc.constant(null), fc.integer(), tie('map'), tie('seq')),
  map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
  seq: fc.array(tie('node'), { maxLength: 4 }),
})).node;

test('on documents the library writes (any options), it answers as the library reads them, or not at all', () => {
  let answered = 0;
  fc.assert(
    fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), fc.constantFrom({}, { indentSeq: false }, { defaultStringType: 'QUOTE_SINGLE' as const }, { defaultStringType: 'QUOTE_DOUBLE' as const }, { indent: 4 }), (doc, options) => {
      if (agrees(stringify(doc, options))) answered++;
    }),
    { numRuns: 500 },
  );
  // Over 30 runs of 500 the count ranged 90–137 (mean ~115): 50 says the fast path still answers
  // a real share of the library's documents, without failing on an unlucky draw (100 did, in CI).
  assert.ok(answered > 50, `answered ${answered} of 500`);
});

test('on YAML-like text, it answers as the library does, or not at all', () => {
  let answered = 0;
  const token = fc.constantFrom('a', 'b-c', 'x.y', ':', ': ', ' ', '  ', '- ', '-', '\n', '\n  ', '\n- ', '#', ' #', "'", '"', '{}', '[]', '{', '[', '~', 'true', '1', '&', '*', '!', '|', '>', '?', ',', '\t', '...', '---');
  fc.assert(
    fc.property(fc.array(token, { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      let library: unknown;
      try {
        library = parse(text, { logLevel: 'silent' });
      } catch {
        library = 'threw';
      }
      const simple = parseSimpleYaml(text);
      if (simple !== undefined) {
        answered++;
        assert.deepEqual(simple, library, JSON.stringify(text));
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(answered > 30, `answered ${answered} of 3000`);
});

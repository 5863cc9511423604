import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateDomain } from './vmi-domain-rules.ts';

const spec = (model: unknown) => ({ domain: { cpu: { model }, resources: { requests: { memory: '64Mi' } } } });

test('a CPU model that would add QEMU -cpu options is refused naming the field', () => {
  for (const model of ['host,+vmx', 'host,,+vmx', 'qemu64,kvm=off', 'a b', 42]) {
    const causes = validateDomain(spec(model), 'spec');
    const c = causes.find((x) => x.field === 'spec.domain.cpu.model');
    assert.ok(c, `refused ${JSON.stringify(model)}`);
    assert.match(c.message, /spec\.domain\.cpu\.model: expected a CPU model name .*, found /);
  }
  for (const model of ['host-model', 'host-passthrough', 'Skylake-Client-v4', 'qemu64', '']) {
    assert.ok(!validateDomain(spec(model), 'spec').some((x) => x.field === 'spec.domain.cpu.model'), `accepted ${model}`);
  }
});

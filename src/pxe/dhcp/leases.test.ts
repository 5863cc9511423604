import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseFileError, LeaseTable, parseLeases, type Lease } from './leases.ts';

const bound = (ip: string, mac: string): Lease => ({ ip, mac, state: 'bound', expiresAt: 2_000_000_000_000 });

test('lists leases for status, sorted by address and marked when expired', () => {
  const table = new LeaseTable([bound('10.0.0.20', 'b'), { ...bound('10.0.0.9', 'a'), expiresAt: 5 }]);
  const list = table.list(10);
  assert.deepEqual(list.map((l) => [l.ip, l.expired]), [['10.0.0.9', true], ['10.0.0.20', false]]);
});

test('names the file, the expected and the found when lease text is not valid', () => {
  const file = '/state/leases.json';
  assert.throws(() => parseLeases('{not json', file), (err: unknown) => err instanceof LeaseFileError && err.file === file && /expected JSON/.test(err.message));
  assert.throws(() => parseLeases('', file), /expected JSON, found an empty file/);
  assert.throws(() => parseLeases(JSON.stringify({ version: 1, leases: [{ ip: 'x', mac: 'm' }] }), file), /leases\[0\] with ip, mac/);
  assert.throws(() => parseLeases('[]', file), /expected an object with version 1/);
});

const offer = (ip: string, mac: string): Lease => ({ ip, mac, state: 'offered', expiresAt: 2_000_000_000_000 });

test('keeps at most maxOffers pending offers, dropping the oldest', () => {
  const table = new LeaseTable([], { maxOffers: 3 });
  for (let i = 1; i <= 5; i++) table.apply([{ kind: 'set', lease: offer(`10.0.0.${i}`, `m${i}`) }]);
  assert.deepEqual([...table.all()].map((l) => l.ip), ['10.0.0.3', '10.0.0.4', '10.0.0.5']);
  assert.equal(table.oldestOffer()?.ip, '10.0.0.3');
  // Binding an offered address takes it out of the offers.
  table.apply([{ kind: 'set', lease: bound('10.0.0.3', 'm3') }]);
  assert.equal(table.oldestOffer()?.ip, '10.0.0.4');
  assert.deepEqual(table.sizes(), { leases: 3, offers: 2, capacity: 65_536, maxOffers: 3 });
});

test('refuses a new address beyond capacity but updates existing ones', () => {
  const table = new LeaseTable([bound('10.0.0.1', 'a'), bound('10.0.0.2', 'b')], { capacity: 2 });
  assert.equal(table.full(), true);
  table.apply([{ kind: 'set', lease: bound('10.0.0.3', 'c') }]);
  assert.equal(table.get('10.0.0.3'), undefined);
  table.apply([{ kind: 'set', lease: { ...bound('10.0.0.2', 'b'), expiresAt: 7 } }]);
  assert.equal(table.get('10.0.0.2')?.expiresAt, 7);
});

test('finds a client\'s leases by MAC or client-id, and forgets them when they go', () => {
  const table = new LeaseTable([], { maxOffers: 1 });
  table.apply([{ kind: 'set', lease: { ...bound('10.0.0.1', 'a'), clientId: '01' } }, { kind: 'set', lease: bound('10.0.0.2', 'b') }]);
  assert.deepEqual(table.candidates({ mac: 'x', clientId: '01' }).map((l) => l.ip), ['10.0.0.1']);
  assert.deepEqual(table.candidates({ mac: 'b' }).map((l) => l.ip), ['10.0.0.2']);
  table.apply([{ kind: 'set', lease: bound('10.0.0.2', 'c') }, { kind: 'delete', ip: '10.0.0.1' }]);
  assert.deepEqual([table.candidates({ mac: 'b' }).length, table.candidates({ mac: 'a', clientId: '01' }).length], [0, 0]);
  table.apply([{ kind: 'set', lease: offer('10.0.0.3', 'd') }, { kind: 'set', lease: offer('10.0.0.4', 'e') }]);
  assert.deepEqual([table.candidates({ mac: 'd' }).length, table.candidates({ mac: 'e' }).length], [0, 1], 'an evicted offer leaves the index');
});

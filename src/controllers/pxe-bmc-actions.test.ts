import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bmcActions, LEAD_MS, MAX_ACTIONS, withBmcActions, type BmcAction } from './pxe-bmc-actions.ts';
import { pxeServerStatus, PxeReason } from './pxeserver-status.ts';
import type { PxeVm } from '../resources/pxe-server.ts';

const MAC = '02:00:00:aa:00:01';
const event = (name: string, reason: string, at: string, component = 'pxevirt-bmc', kind = 'VirtualMachine') => ({
  kind: 'Event',
  metadata: { name: `${name}.${reason}`, namespace: 'default' },
  involvedObject: { kind, name, namespace: 'default', uid: `uid-${name}` },
  reason,
  message: `${reason} of ${name}`,
  firstTimestamp: at,
  lastTimestamp: at,
  source: { component },
});
const vms: PxeVm[] = [
  { kind: 'VirtualMachine', namespace: 'default', name: 'node-a', macs: [MAC] },
  { kind: 'VirtualMachineInstance', namespace: 'default', name: 'node-a', macs: ['02:00:00:aa:00:02'] },
];

test('bmcActions: the BMC Events of VMs on the network, one per MAC of the VM and its VMI; others ignored', () => {
  const actions = bmcActions(
    [
      event('node-a', 'BMCReset', '2026-12-05T21:00:05Z'),
      event('node-a', 'Started', '2026-12-05T21:00:06Z', 'virt-handler'),
      event('elsewhere', 'BMCReset', '2026-12-05T21:00:07Z'),
      event('node-a', 'BMCBootOverride', '2026-12-05T21:00:01Z'),
      { reason: 'BMCReset', source: { component: 'pxevirt-bmc' } },
      'not an object',
    ],
    vms,
  );
  assert.deepEqual(
    actions.map((a) => `${a.time} ${a.mac} ${a.event}`),
    ['2026-12-05T21:00:05Z 02:00:00:aa:00:01 BMCReset', '2026-12-05T21:00:05Z 02:00:00:aa:00:02 BMCReset', '2026-12-05T21:00:01Z 02:00:00:aa:00:01 BMCBootOverride', '2026-12-05T21:00:01Z 02:00:00:aa:00:02 BMCBootOverride'],
  );
  const many = Array.from({ length: MAX_ACTIONS + 50 }, (_, i) => event('node-a', 'BMCReset', new Date(Date.UTC(2026, 11, 5, 20, 0, i)).toISOString()));
  const bounded = bmcActions(many, vms.slice(0, 1));
  assert.equal(bounded.length, MAX_ACTIONS, 'only the newest BMC Events are considered');
  assert.equal(bounded[0]?.time, many.at(-1)?.lastTimestamp);
});

test('withBmcActions: an action shows only when this host\'s DHCP follows it within LEAD_MS, in time order, bounded', () => {
  const dhcp = (time: string, ev = 'discover') => ({ time, proto: 'dhcp', event: ev });
  const events = [dhcp('2026-12-05T21:00:05.300Z'), dhcp('2026-12-05T21:00:05.400Z', 'offer'), { time: '2026-12-05T21:00:06.000Z', proto: 'tftp', event: 'rrq' }];
  const action = (time: string, ev: string, mac = MAC): BmcAction => ({ mac, time, event: ev, message: `${ev} by admin` });
  const actions = [
    action('2026-12-05T21:00:05Z', 'BMCReset'),
    action('2026-12-05T21:00:01Z', 'BMCBootOverride'),
    action(new Date(Date.parse('2026-12-05T21:00:05.300Z') - LEAD_MS - 1000).toISOString(), 'BMCVirtualMedia'), // too long before
    action('2026-12-05T21:00:07Z', 'BMCReset'), // after the last DHCP: no network boot (yet)
    action('2026-12-05T21:00:02Z', 'BMCReset', '02:00:00:aa:00:09'), // another host
  ];
  const merged = withBmcActions(events, MAC, actions, 30);
  assert.deepEqual(
    merged.map((e) => `${e.proto} ${e.event}`),
    ['bmc BMCBootOverride', 'bmc BMCReset', 'dhcp discover', 'dhcp offer', 'tftp rrq'],
  );
  assert.deepEqual(merged[1], { time: '2026-12-05T21:00:05Z', proto: 'bmc', event: 'BMCReset', message: 'BMCReset by admin' });
  assert.deepEqual(withBmcActions(events, MAC, actions, 2).map((e) => e.event), ['offer', 'rrq'], 'the newest kept');
  assert.deepEqual(withBmcActions(events, MAC, [], 30), events);
});

test('the PXEServer status shows the BMC action that led to a host\'s network boot in its timeline', () => {
  const server = { timelines: { [MAC]: [{ time: '2026-12-05T21:00:05.300Z', proto: 'dhcp', event: 'discover' }] } };
  const status = pxeServerStatus(undefined, { phase: 'Running', reason: PxeReason.Serving, message: '', generation: 1, server, bmc: [{ mac: MAC, time: '2026-12-05T21:00:05Z', event: 'BMCReset', message: 'Redfish ComputerSystem.Reset On by admin: VirtualMachine start' }] }, new Date('2026-12-05T21:01:00Z'));
  const boots = status.boots as Array<{ mac: string; lastSeen: string; events: Array<Record<string, unknown>> }>;
  assert.deepEqual(boots[0]?.events.map((e) => `${e.proto} ${e.event}`), ['bmc BMCReset', 'dhcp discover']);
  assert.equal(boots[0]?.lastSeen, '2026-12-05T21:00:05.300Z');
});

// The responder with a lease table that applies each response's changes, like the socket
// shell does: for the responder's tests.
import assert from 'node:assert/strict';
import { validatePxeServerSpec, type PxeServerSpec } from '../../resources/pxe-server.ts';
import { LeaseTable, type LeaseTableLimits } from './leases.ts';
import { getMessageType, MessageType } from './options.ts';
import { respond, type Arrival, type DhcpResponse } from './responder.ts';
import { clientPacket, type ClientPacketOptions } from './test-packets.ts';

/** A validated spec on 192.168.100.1/24 with these dhcp settings. */
export function specFor(dhcp: Record<string, unknown>): PxeServerSpec {
  const { value, causes } = validatePxeServerSpec({ interface: 'br0', address: '192.168.100.1/24', root: '/srv/pxe', http: { port: 8080 }, dhcp });
  assert.ok(value, JSON.stringify(causes));
  return value;
}
export const server = specFor({ mode: 'server', range: '192.168.100.10-192.168.100.12', router: '192.168.100.254', dns: ['192.168.100.53'] });
export const proxySpec = specFor({ mode: 'proxy' });
export const on67: Arrival = { port: 67, sourceAddress: '0.0.0.0', sourcePort: 68 };
export const T0 = 1_700_000_000_000;

/** A server with a lease table that applies each response's changes, like the shell. */
export function harness(spec = server, limits: LeaseTableLimits = {}) {
  const table = new LeaseTable([], limits);
  return {
    table,
    send(type: Parameters<typeof clientPacket>[0], o: ClientPacketOptions = {}, arrival = on67, now = T0): DhcpResponse {
      const r = respond(spec, table, clientPacket(type, o), arrival, now);
      table.apply(r.changes);
      return r;
    },
    /** DISCOVER then REQUEST; returns the bound address. */
    lease(mac: string, now = T0): string {
      const offer = this.send('discover', { mac }, on67, now).reply?.packet;
      assert.ok(offer, `expected an offer for ${mac}`);
      const ack = this.send('request', { mac, requested: offer.yiaddr, serverId: '192.168.100.1' }, on67, now).reply?.packet;
      assert.equal(ack && getMessageType(ack.options), MessageType.ack);
      return ack!.yiaddr;
    },
  };
}


// The PXE server's Prometheus metrics, in a registry of its own (never prom-client's global).
import { Counter, Registry } from 'prom-client';

/** Creates the counters every PXE protocol reports to. */
export function createPxeMetrics() {
  const registry = new Registry();
  return {
    registry,
    dhcpMessages: new Counter({
      name: 'pxevirt_pxe_dhcp_messages_total',
      help: 'DHCP messages, by direction (in|out) and message type',
      labelNames: ['direction', 'type'] as const,
      registers: [registry],
    }),
    tftpTransfers: new Counter({
      name: 'pxevirt_pxe_tftp_transfers_total',
      help: 'TFTP transfers, by result (ok|error|refused)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    tftpBytes: new Counter({ name: 'pxevirt_pxe_tftp_bytes_total', help: 'Bytes sent over TFTP', registers: [registry] }),
    httpRequests: new Counter({
      name: 'pxevirt_pxe_http_requests_total',
      help: 'HTTP requests, by kind (file|script|menu|status|metrics|ipxe|other) and status code',
      labelNames: ['kind', 'code'] as const,
      registers: [registry],
    }),
    httpBytes: new Counter({ name: 'pxevirt_pxe_http_bytes_total', help: 'Bytes sent over HTTP', registers: [registry] }),
    errors: new Counter({
      name: 'pxevirt_pxe_errors_total',
      help: 'Errors, by protocol and kind (malformed|refused|io|timeout)',
      labelNames: ['proto', 'kind'] as const,
      registers: [registry],
    }),
  };
}

export type PxeMetrics = ReturnType<typeof createPxeMetrics>;

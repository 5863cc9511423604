// The kubeconfig `pxevirt up` writes for kubectl: the server URL, the CA and the token.
import { stringify } from 'yaml';

/**
 * The kubeconfig extension (on the cluster) that names the daemon's unix socket; pxevirt's CLI
 * uses it for a loopback server (src/cli/client/local-socket.ts), kubectl ignores it. The CLI's
 * reader spells the same name (kube.cjs holds no daemon code; src/cli/client/kubeconfig.test.ts checks).
 */
export const SOCKET_EXTENSION = 'pxevirt.io/socket';

/** The kubeconfig text for a server URL, CA certificate (PEM), bearer token and the API's unix socket. */
export function kubeconfigText(options: { server: string; caPem: string; token: string; namespace?: string; socket?: string }): string {
  const cluster: Record<string, unknown> = { server: options.server, 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') };
  if (options.socket) cluster.extensions = [{ name: SOCKET_EXTENSION, extension: { path: options.socket } }];
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'pxevirt', cluster }],
    users: [{ name: 'pxevirt', user: { token: options.token } }],
    contexts: [{ name: 'pxevirt', context: { cluster: 'pxevirt', user: 'pxevirt', namespace: options.namespace ?? 'default' } }],
    'current-context': 'pxevirt',
    preferences: {},
  });
}

/** `https://host:port`, with IPv6 hosts in brackets. */
export const serverUrl = (host: string, port: number): string => `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

// The floor under any Node CLI for `get vmi`: start Node, read the kubeconfig (regular
// expressions, no YAML library), one HTTPS GET of the VMI Table with the kubeconfig's CA,
// print the byte count. bench/cli.ts runs it beside pxevirt and kubectl, started as
// bin/pxevirt starts Node for the kube verbs (without NODE_EXTRA_CA_CERTS, with --use-openssl-ca
// and SSL_CERT_FILE at the empty file: src/cli/verbs/session.ts lazySystemStore says why).
const { readFileSync } = require('node:fs');
const { request } = require('node:https');

const kubeconfig = readFileSync(process.env.KUBECONFIG, 'utf8');
const field = (name) => new RegExp(`${name}: "?([^"\\s]+)`).exec(kubeconfig)?.[1] ?? '';
const req = request(`${field('server')}/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances`, {
  ca: Buffer.from(field('certificate-authority-data'), 'base64'),
  headers: { authorization: `Bearer ${field('token')}`, accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
}, (res) => {
  let n = 0;
  res.on('data', (d) => (n += d.length));
  res.on('end', () => process.stdout.write(`${n}\n`));
});
req.end();

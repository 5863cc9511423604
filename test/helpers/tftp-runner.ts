// Runs pxevirt's TFTP server alone (for tests and benchmarks inside namespaces): prints one
// JSON line {"ready":true,"port":N} on stdout once listening; SIGTERM closes it.
// Usage: node --import tsx test/helpers/tftp-runner.ts ROOT ADDRESS PORT [MAX_BLKSIZE]
import { silentLogger } from '../../src/lib/logger.ts';
import { createPxeMetrics } from '../../src/pxe/metrics.ts';
import { startTftp } from '../../src/pxe/tftp/server.ts';
import { Timeline } from '../../src/pxe/timeline.ts';
import { Transfers } from '../../src/pxe/transfers.ts';

const [root, address = '127.0.0.1', port = '0', maxBlksize] = process.argv.slice(2);
if (!root) {
  process.stderr.write('usage: tftp-runner.ts ROOT [ADDRESS] [PORT] [MAX_BLKSIZE]\n');
  process.exit(2);
}
const server = await startTftp({
  roots: { root, ipxeDir: '/usr/lib/ipxe' },
  address,
  port: Number(port),
  ...(maxBlksize ? { maxBlksize: Number(maxBlksize) } : {}),
  // Benchmarks compare the native data path with the JavaScript one.
  ...(process.env.PXEVIRT_TFTP_DATA_PATH === 'js' || process.env.PXEVIRT_TFTP_DATA_PATH === 'native' ? { dataPath: process.env.PXEVIRT_TFTP_DATA_PATH } : {}),
  log: silentLogger,
  timeline: new Timeline(silentLogger),
  metrics: createPxeMetrics(),
  transfers: new Transfers(),
});
process.stdout.write(`${JSON.stringify({ ready: true, port: server.port })}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop).on('SIGINT', stop);

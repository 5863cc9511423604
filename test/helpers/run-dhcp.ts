// Runs only the DHCP server, for integration tests and the benchmark, inside a namespace:
//   node --import tsx test/helpers/run-dhcp.ts CONFIG STATE_DIR [info|debug|warn]
// Logs JSON lines on stdout, one {"msg":"ready"} once listening; SIGTERM closes cleanly.
import { mkdir } from 'node:fs/promises';
import { createLogger, type LogLevel } from '../../src/lib/logger.ts';
import { loadPxeConfig } from '../../src/pxe/config-file.ts';
import { startDhcp } from '../../src/pxe/dhcp/server.ts';
import { createPxeMetrics } from '../../src/pxe/metrics.ts';
import { Timeline } from '../../src/pxe/timeline.ts';

const [configPath, stateDir, level] = process.argv.slice(2);
if (!configPath || !stateDir) {
  process.stderr.write('usage: run-dhcp.ts CONFIG STATE_DIR [LOG_LEVEL]\n');
  process.exit(2);
}
const log = createLogger({ level: (level as LogLevel | undefined) ?? 'info', fd: 1 });
const spec = await loadPxeConfig(configPath);
await mkdir(stateDir, { recursive: true });
const metrics = createPxeMetrics();
const server = await startDhcp({ spec, stateDir, log, timeline: new Timeline(log), metrics });
// Written directly so that it appears at every log level.
process.stdout.write(`${JSON.stringify({ msg: 'ready', interface: spec.interface, mode: spec.dhcp.mode })}\n`);
const stop = async (signal: string) => {
  log.info({ signal }, 'shutting down');
  await server.close();
  log.info({ metrics: (await metrics.registry.getMetricsAsJSON()).map((m) => ({ name: m.name, values: m.values })) }, 'stopped');
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

// A stand-in daemon for the runtime test: starts one VMI with the local runtime (direct
// kernel boot), prints the observation as one JSON line, then idles until it is killed.
//   node --import tsx test/runtime/runtime-runner.ts '{"dataDir":…,"netnsPrefix":…,"kernel":…,"initrd":…,"vmi":{…}}'
import { silentLogger } from '../../src/lib/logger.ts';
import { createLocalRuntime } from '../../src/runtime/local-runtime.ts';
import type { VmiObject } from '../../src/runtime/types.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string; netnsPrefix: string; kernel: string; initrd: string; vmi: VmiObject };
const runtime = createLocalRuntime({
  dataDir: config.dataDir,
  log: silentLogger,
  netnsPrefix: config.netnsPrefix,
  volumes: async () => [],
  accel: async () => ({ accel: 'tcg', reason: 'the test runs under TCG' }),
  extraArgs: () => ['-kernel', config.kernel, '-initrd', config.initrd, '-append', 'console=ttyS0 pxevirt.dhcp=off'],
});
const obs = await runtime.start(config.vmi);
process.stdout.write(`${JSON.stringify(obs)}\n`);
setInterval(() => undefined, 60_000);

// The VM metrics served at GET /metrics, in a registry of their own: VMIs by phase,
// create → Running latency, QEMU processes, image pulls.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const VMI_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

export interface VmMetricsSources {
  /** The phase of every VMI (read at scrape time). */
  vmiPhases: () => string[];
  /** How many QEMU processes the runtime has alive (read at scrape time). */
  qemuProcesses: () => number;
}

/** Creates the registry; the sources are read on every scrape. */
export function createVmMetrics(sources: VmMetricsSources) {
  const registry = new Registry();
  const metrics = {
    registry,
    vmiPhase: new Gauge({
      name: 'pxevirt_vmi_phase',
      help: 'VirtualMachineInstances, by phase',
      labelNames: ['phase'] as const,
      registers: [registry],
      collect() {
        const counts = new Map<string, number>(VMI_PHASES.map((p) => [p, 0]));
        for (const p of sources.vmiPhases()) {
          const phase = p === '' ? 'Pending' : p;
          counts.set(phase, (counts.get(phase) ?? 0) + 1);
        }
        for (const [phase, n] of counts) this.set({ phase }, n);
      },
    }),
    vmiRunningSeconds: new Histogram({
      name: 'pxevirt_vmi_running_seconds',
      help: 'Seconds from a VMI\'s creation to its phase Running',
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers: [registry],
    }),
    qemuProcesses: new Gauge({
      name: 'pxevirt_qemu_processes',
      help: 'QEMU processes running on this node',
      registers: [registry],
      collect() {
        this.set(sources.qemuProcesses());
      },
    }),
    imagePulls: new Counter({
      name: 'pxevirt_image_pulls_total',
      help: 'containerDisk image pulls completed',
      registers: [registry],
    }),
  };
  return metrics;
}

export type VmMetrics = ReturnType<typeof createVmMetrics>;

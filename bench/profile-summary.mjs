// Self time by function in a V8 .cpuprofile (node --cpu-prof), the top N: node bench/profile-summary.mjs FILE [N] [FROM_US TO_US]
// FROM_US/TO_US keep only the samples in that window of the monotonic clock (process.hrtime in µs; bench/api.ts logs its patch phase's).
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const self = new Map(); const byId = new Map(p.nodes.map((n) => [n.id, n]));
const dt = new Map();
const [from, to] = [Number(process.argv[4] ?? -Infinity), Number(process.argv[5] ?? Infinity)];
let t = p.startTime;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i] ?? 0;
  if (t >= from && t <= to) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
}
let total = 0;
for (const [id, us] of dt) { const n = byId.get(id); const cf = n.callFrame; const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`; self.set(key, (self.get(key) ?? 0) + us); total += us; }
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 25));
console.log('total ms', (total / 1000).toFixed(0));
for (const [k, us] of top) console.log((us / 1000).toFixed(0).padStart(7), (100 * us / total).toFixed(1).padStart(5) + '%', k);

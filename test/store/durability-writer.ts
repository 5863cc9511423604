// Child process of durability.test.ts: creates N VMI-sized objects in the store at argv[2],
// printing each name once create() returned (the acknowledgement), until it is killed.
// After the first half it writes in bursts, so a SIGKILL most likely lands mid-write.
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { durabilityObject, DURABILITY_KEY } from './durability-object.ts';

const [path, round, count] = process.argv.slice(2);
if (!path || !round || !count) throw new Error('usage: durability-writer.ts DB ROUND N');
const store = openSqliteStore({ path });
const n = Number(count);
for (let i = 0; i < n; i++) {
  const name = `r${round}-vm-${String(i).padStart(4, '0')}`;
  store.create(DURABILITY_KEY, durabilityObject(name));
  process.stdout.write(`${name}\n`);
  if (i < n / 2) await sleep(1);
  else if (i % 10 === 9) await sleep(5);
}
process.stdout.write('done\n');
store.close();

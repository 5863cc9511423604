// Opens the store's SQLite database: pragmas, schema and the prepared statements.
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreLockedError } from './errors.ts';

/** SQLite's synchronous setting, or GROUP: NORMAL plus one sync per batch of commits (group-commit.ts). */
export type Synchronous = 'NORMAL' | 'FULL' | 'GROUP';

export interface EventRow {
  rv: number;
  type: string;
  json: string;
  prev_labels: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('resourceVersion', 0);
CREATE TABLE IF NOT EXISTS objects (
  "group" TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  uid TEXT NOT NULL, resource_version INTEGER NOT NULL, json TEXT NOT NULL,
  UNIQUE ("group", resource, namespace, name)
);
CREATE TABLE IF NOT EXISTS events (
  rv INTEGER PRIMARY KEY, "group" TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL,
  name TEXT NOT NULL, type TEXT NOT NULL, json TEXT NOT NULL, prev_labels TEXT
);
CREATE INDEX IF NOT EXISTS events_by_resource ON events ("group", resource, rv);
CREATE TABLE IF NOT EXISTS identity (id TEXT PRIMARY KEY) WITHOUT ROWID;
PRAGMA user_version = 1;
`;

/**
 * Opens (creating if needed) the database at `path`.
 *
 * Durability: WAL journal. With synchronous=NORMAL a commit is in the WAL file (written with
 * write(2)) when it returns, so it survives kill -9 of the process (the kernel keeps the
 * page cache) but not a power loss; FULL also fsyncs the WAL on every commit and so survives
 * power loss too, like etcd's fsync per write, but blocks the event loop for each sync (0.2 ms
 * idle, several ms on a busy disk). GROUP (the store's default) commits as NORMAL and syncs the
 * WAL once per batch of commits off the event loop; writes are acknowledged after that sync.
 *
 * locking_mode=EXCLUSIVE keeps the file locked for this connection's lifetime, so a second
 * daemon on the same data dir fails at once (StoreLockedError) instead of writing beside us
 * with its own resourceVersion counter and watchers. The kernel drops the lock when the
 * process dies, so a restart after kill -9 opens it again.
 */
export function openDatabase(path: string, synchronous: Synchronous): Database.Database {
  // 0600 whatever the umask (SQLite gives its -wal and -shm files the database file's mode).
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
  const db = new Database(path, { timeout: 1000 });
  try {
    // 8 KiB pages hold three VMI-sized rows where 4 KiB pages hold one: a third smaller
    // and faster to scan (only takes effect when the file is created).
    db.pragma('page_size = 8192');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'GROUP' ? 'NORMAL' : synchronous}`);
    db.pragma('foreign_keys = OFF');
    // better-sqlite3 builds SQLite with a 16 MB page cache; reads are served from the store's
    // copy in memory (memory-index.ts), so the cache serves only writes, whose few pages a
    // miss reads from the OS's page cache. 2 MiB (SQLite's own default) keeps 14 MB out of
    // the daemon's RSS at 10,000 objects (docs/decisions.md, "Stored objects as bytes").
    db.pragma('cache_size = -2048');
    // The schema write takes the exclusive lock now rather than at the first object write.
    db.transaction(() => db.exec(SCHEMA)).immediate();
    return db;
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new StoreLockedError(path, { cause: error });
    throw error;
  }
}

/** The statements the store runs, prepared once. */
export function prepareStatements(db: Database.Database) {
  return {
    getRv: db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE key = 'resourceVersion'`),
    setRv: db.prepare<[number]>(`UPDATE meta SET value = ? WHERE key = 'resourceVersion'`),
    allObjects: db.prepare<[], { group: string; resource: string; namespace: string; name: string; json: string }>(`SELECT "group", resource, namespace, name, json FROM objects`),
    lastEvents: db.prepare<[], { group: string; resource: string; rv: number }>(`SELECT "group", resource, max(rv) AS rv FROM events GROUP BY "group", resource`),
    insertObject: db.prepare<[string, string, string, string, string, number, string]>(
      `INSERT INTO objects ("group", resource, namespace, name, uid, resource_version, json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateObject: db.prepare<[number, string, string, string, string, string]>(
      `UPDATE objects SET resource_version = ?, json = ? WHERE "group" = ? AND resource = ? AND namespace = ? AND name = ?`,
    ),
    deleteObject: db.prepare<[string, string, string, string]>(
      `DELETE FROM objects WHERE "group" = ? AND resource = ? AND namespace = ? AND name = ?`,
    ),
    insertEvent: db.prepare<[number, string, string, string, string, string, string, string | null]>(
      `INSERT INTO events (rv, "group", resource, namespace, name, type, json, prev_labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    trimEvents: db.prepare<[number]>(`DELETE FROM events WHERE rv <= ?`),
    oldestEvent: db.prepare<[], { rv: number | null }>(`SELECT min(rv) AS rv FROM events`),
    eventsAfter: db.prepare<[string, string, number], EventRow>(
      `SELECT rv, type, json, prev_labels FROM events WHERE "group" = ? AND resource = ? AND rv > ? ORDER BY rv`,
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

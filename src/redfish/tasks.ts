// Redfish Tasks for long operations (a virtual CD's download): a client that sends
// `Prefer: respond-async` gets 202 with a Location to the task monitor, which answers 202
// while the download runs and then the operation's own reply; the Task resource under
// TaskService/Tasks shows its state. Clients that do not ask wait for the reply as before
// (sushy and Ironic post InsertMedia without blocking on a 202). Bounded: MAX_TASKS kept, the
// oldest finished ones dropped first; per-VM accounts see their VM's tasks only.
import type { ApiResponse } from '../api/http-types.ts';
import { mayReach, type Principal } from './auth.ts';
import { RedfishError } from './errors.ts';
import { HEADERS } from './reply.ts';
import { ROOT } from './resources.ts';

export const MAX_TASKS = 64;

export type TaskState = 'Running' | 'Completed' | 'Exception';

interface Task {
  id: string;
  name: string;
  vmUid: string;
  user: string;
  state: TaskState;
  start: number;
  end?: number;
  /** The operation's reply once it ended. */
  result?: ApiResponse;
  /** How far a running operation is (percent), when it can tell. */
  progress?: { percent(): number | undefined };
}

export const taskPaths = {
  service: `${ROOT}/TaskService`,
  tasks: `${ROOT}/TaskService/Tasks`,
  task: (id: string) => `${ROOT}/TaskService/Tasks/${id}`,
  monitor: (id: string) => `${ROOT}/TaskService/TaskMonitors/${id}`,
};

const iso = (ms: number) => new Date(ms).toISOString();
const odata = (id: string, type: string, context: string) => ({ '@odata.id': id, '@odata.type': type, '@odata.context': `${ROOT}/$metadata#${context}` });

/** The tasks of this service, in memory. */
export class TaskTable {
  private readonly tasks = new Map<string, Task>();
  private next = 1;
  /** When this table (this daemon's service) began: no task from before is known. */
  readonly since: number;
  constructor(private readonly now: () => number) {
    this.since = now();
  }

  /** The table's clock (the service's now). */
  clock(): number {
    return this.now();
  }

  /** Starts tracking an operation; its reply settles the task. Throws 409 when MAX_TASKS are all running. */
  start(name: string, vmUid: string, p: Principal, reply: Promise<ApiResponse>, progress?: Task['progress']): Task {
    if (this.tasks.size >= MAX_TASKS) {
      const done = [...this.tasks.values()].find((t) => t.state !== 'Running');
      if (!done) throw new RedfishError('ResourceStateConflict', [`${MAX_TASKS} tasks are running; retry when one has ended`]);
      this.tasks.delete(done.id);
    }
    const task: Task = { id: String(this.next++), name, vmUid, user: p.user, state: 'Running', start: this.now(), ...(progress ? { progress } : {}) };
    this.tasks.set(task.id, task);
    void reply.then(
      (r) => this.settle(task, r),
      (err: unknown) => this.settle(task, { status: 500, headers: {}, body: { error: { message: err instanceof Error ? err.message : String(err) } } }),
    );
    return task;
  }

  private settle(task: Task, result: ApiResponse): void {
    Object.assign(task, { result, end: this.now(), state: result.status < 300 ? 'Completed' : 'Exception' });
  }

  /** The tasks a principal may see (its VMs', or all for admin), oldest first. */
  list(p: Principal): Task[] {
    return [...this.tasks.values()].filter((t) => mayReach(p, t.vmUid));
  }

  get(p: Principal, id: string): Task {
    const t = this.tasks.get(id);
    if (!t || !mayReach(p, t.vmUid)) throw new RedfishError('ResourceNotFound', ['Task', id]);
    return t;
  }
}

/** What a client should know about tasks and restarts. */
const lifetime = (since: number) => `Tasks since the service started at ${iso(since)}; a daemon restart ends the downloads under way and forgets every task (their monitors answer 404).`;

export function taskService(since: number, now: number): Record<string, unknown> {
  return {
    ...odata(taskPaths.service, '#TaskService.v1_2_0.TaskService', 'TaskService.TaskService'),
    Id: 'TaskService',
    Name: 'Task Service',
    Description: lifetime(since),
    DateTime: iso(now),
    ServiceEnabled: true,
    CompletedTaskOverWritePolicy: 'Oldest',
    LifeCycleEventOnTaskStateChange: false,
    Status: { State: 'Enabled', Health: 'OK' },
    Tasks: { '@odata.id': taskPaths.tasks },
  };
}

export function tasksCollection(tasks: readonly Task[], since: number): Record<string, unknown> {
  return { ...odata(taskPaths.tasks, '#TaskCollection.TaskCollection', 'TaskCollection.TaskCollection'), Name: 'Task Collection', Description: lifetime(since), 'Members@odata.count': tasks.length, Members: tasks.map((t) => ({ '@odata.id': taskPaths.task(t.id) })) };
}

/** One Task (Task.v1_7_0). */
export function task(t: Task): Record<string, unknown> {
  const body = t.result?.body as { error?: { '@Message.ExtendedInfo'?: unknown[] }; '@Message.ExtendedInfo'?: unknown[] } | undefined;
  // An error's messages, or a success's notes (a media change that waits for a reset).
  const messages = (t.result && t.result.status >= 300 ? body?.error?.['@Message.ExtendedInfo'] : body?.['@Message.ExtendedInfo']) ?? [];
  const percent = t.end === undefined ? t.progress?.percent() : 100;
  return {
    ...odata(taskPaths.task(t.id), '#Task.v1_7_0.Task', 'Task.Task'),
    Id: t.id,
    Name: t.name,
    TaskState: t.state,
    TaskStatus: t.state === 'Exception' ? 'Warning' : 'OK',
    StartTime: iso(t.start),
    ...(t.end === undefined ? {} : { EndTime: iso(t.end) }),
    ...(percent === undefined ? {} : { PercentComplete: percent }),
    TaskMonitor: taskPaths.monitor(t.id),
    Messages: messages,
  };
}

/** The task monitor: 202 and the Task while it runs, then the operation's own reply. */
export function monitorReply(t: Task, headers: Record<string, string>): ApiResponse {
  if (t.result) return t.result;
  return { status: 202, headers: { ...headers, location: taskPaths.monitor(t.id) }, body: task(t) };
}

/** Whether the client asked for an asynchronous reply (RFC 7240 `Prefer: respond-async`). */
export const wantsAsync = (prefer: string | undefined): boolean => (prefer ?? '').split(',').some((p) => p.trim().toLowerCase() === 'respond-async');


/** GET TaskService[/Tasks[/{id}]] and TaskService/TaskMonitors/{id}: `rest` is what follows TaskService. */
export function taskRoute(tasks: TaskTable, method: string, p: Principal, rest: readonly string[]): ApiResponse {
  if (method !== 'GET' && method !== 'HEAD') throw new RedfishError('OperationNotAllowed', [], `${method} is not allowed on ${[taskPaths.service, ...rest].join('/')}`);
  const ok = (body: unknown): ApiResponse => ({ status: 200, headers: HEADERS, body });
  const [what, id, extra] = rest;
  if (what === undefined) return ok(taskService(tasks.since, tasks.clock()));
  if (what === 'Tasks' && id === undefined) return ok(tasksCollection(tasks.list(p), tasks.since));
  if (what === 'Tasks' && id !== undefined && extra === undefined) return ok(task(tasks.get(p, id)));
  if (what === 'TaskMonitors' && id !== undefined && extra === undefined) return monitorReply(tasks.get(p, id), HEADERS);
  throw new RedfishError('ResourceNotFound', ['Resource', [taskPaths.service, ...rest].join('/')]);
}

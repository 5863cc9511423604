// The shape every controller here shares, after controller-runtime: a pure
// `reconcile(desired, observed, now) → { status, actions, events, requeueAfter }` decides;
// a thin loop (informer → work queue → reconcile → object client / runtime) carries it out.

/** A Kubernetes Event a reconcile asks to record on its object. */
export interface ControllerEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What one reconcile decided. */
export interface Reconciled<Status, Action> {
  /** The new status (whole or the controller's part of it), or undefined when unchanged. */
  status: Status | undefined;
  /** Side effects for the loop to carry out, in order. */
  actions: Action[];
  events: ControllerEvent[];
  /** Reconcile again after this many milliseconds (a retry backoff, a poll). */
  requeueAfter?: number;
}

/** A running controller loop. */
export interface Controllers {
  /** Resolves when no reconcile runs or waits (guest starts and stops may still be under way). */
  idle(): Promise<void>;
  /** Stops watching and reconciling; what runs detached keeps running and is adopted next time. */
  stop(): Promise<void>;
}

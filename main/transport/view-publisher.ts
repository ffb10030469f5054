// The view a controller pushes to whatever shows it (a browser host's page, an Electron window): the current one, and
// every change to each listener. The agent console and "Set up this PC" share it; the kiosk's controller keeps its
// own (it derives views from its state, drops repeats and delivers the first one asynchronously).
export interface ViewPublisher<V> {
  /** The view shown now. */
  readonly current: () => V;
  readonly publish: (next: V) => void;
  /** Calls `listener` with the current view at once, then on every change; returns the unsubscribe. */
  readonly onView: (listener: (view: V) => void) => () => void;
}

export function createViewPublisher<V>(initial: V): ViewPublisher<V> {
  const listeners = new Set<(view: V) => void>();
  let view = initial;
  return {
    current: () => view,
    publish: (next) => {
      view = next;
      for (const listener of listeners) listener(next);
    },
    onView: (listener) => {
      listeners.add(listener);
      listener(view);
      return () => listeners.delete(listener);
    },
  };
}

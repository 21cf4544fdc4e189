/**
 * Waiting that the caller can cut short with their AbortSignal; the signal's reason is thrown,
 * as fetch does, so a cancelled call fails the same way wherever it was waiting.
 */

/** Waits `ms` (the pause between attempts). */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopListening();
      resolve();
    }, ms);
    const stopListening = onAbort(signal, (reason) => {
      clearTimeout(timer);
      reject(reason);
    });
  });
}

/**
 * Waits for `promise`: a token fetch shared with other calls, so it is not itself cancelled;
 * only this caller stops waiting for it.
 */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const stopListening = onAbort(signal, reject);
    promise.then(
      (value) => {
        stopListening();
        resolve(value);
      },
      (error: unknown) => {
        stopListening();
        reject(error);
      },
    );
  });
}

/** Calls `handler` with the signal's reason once it aborts (at once if it has); returns the unsubscribe. */
export function onAbort(signal: AbortSignal | undefined, handler: (reason: unknown) => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    handler(signal.reason);
    return () => {};
  }
  const listener = () => handler(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

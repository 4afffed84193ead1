/**
 * Waits for `promise`, but rejects with `signal.reason` as soon as `signal`
 * aborts. The promise itself runs on: a token fetch or a predecessor's call
 * that other callers share must not be cancelled by one caller giving up.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
  });
}

/**
 * Waits for `promise` unless `signal` aborts first: true when it resolved,
 * false when the signal aborted (a SIGTERM while caches cannot sync).
 */
export async function resolvedBefore(
  promise: Promise<unknown>,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await untilAborted(promise, signal);
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}

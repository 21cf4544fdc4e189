/** A fresh trace id for a request the caller did not name: a UUID, as the API reference recommends. */
export function newTraceId(): string {
  return globalThis.crypto.randomUUID();
}

/** `promise`, or a rejection once `ms` have passed; the loser is settled so that it cannot go unhandled. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), Math.max(0, ms))),
  );
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Closes a Redis client (or cluster client) gracefully, and destroys it if that fails or takes longer than `ms`. */
export async function closeWithin(
  client: { readonly isOpen: boolean; close(): Promise<unknown>; destroy(): void },
  ms: number,
): Promise<void> {
  if (!client.isOpen) return;
  await withTimeout(client.close(), ms).catch(() => {
    if (client.isOpen) client.destroy();
  });
}

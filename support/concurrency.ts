/** Bounded concurrency without a dependency: the fixture PKI, many targets at once, serve's runs. */

/**
 * `fn` over `items` with at most `limit` calls in flight; the results in the order of `items`. A rejection
 * rejects the whole (the other calls still in flight finish on their own): callers that must not fail catch
 * inside `fn`.
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

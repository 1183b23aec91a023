/**
 * Runs `worker` over every item of `items` (sync or async iterable) with at most `limit`
 * running at once, pulling items lazily. On the first failure no new items are started,
 * running ones are awaited, and the first error is thrown.
 */
export async function forEachConcurrent<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  worker: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  let index = 0;
  let failed = false;
  let firstError: unknown;
  let done = false;

  // One puller at a time: async iterators must not be advanced concurrently.
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const result = pulling.then(() => iterator.next());
    pulling = result.catch(() => {});
    return result;
  };

  const lane = async (): Promise<void> => {
    while (!failed && !done) {
      let result: IteratorResult<T>;
      try {
        result = await next();
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
        }
        return;
      }
      if (result.done || failed) {
        done = done || Boolean(result.done);
        return;
      }
      const i = index++;
      try {
        await worker(result.value, i);
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
        }
        return;
      }
    }
  };

  const lanes: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, Math.floor(limit)); i++) lanes.push(lane());
  await Promise.all(lanes);
  if (failed) {
    await iterator.return?.();
    throw firstError;
  }
}

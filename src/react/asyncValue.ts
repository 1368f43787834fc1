/**
 * The four states of an asynchronous value, named like Riverpod's `AsyncValue` (plus `idle`, the
 * state of a mutation nobody has started): a Dart port maps each case to `AsyncValue.data`,
 * `AsyncValue.loading` and `AsyncValue.error`, and `idle` to `AsyncValue.data(null)`.
 */
export type AsyncValue<T, E = Error> =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "data"; data: T }
  | { status: "error"; error: E };

/**
 * Picks a rendering for each state, like Riverpod's `AsyncValue.when`.
 * @example whenAsync(state, { idle: () => null, loading: () => <Spinner />, data: (id) => id, error: (e) => e.code })
 */
export function whenAsync<T, E, R>(
  value: AsyncValue<T, E>,
  cases: { idle: () => R; loading: () => R; data: (data: T) => R; error: (error: E) => R },
): R {
  switch (value.status) {
    case "idle":
      return cases.idle();
    case "loading":
      return cases.loading();
    case "data":
      return cases.data(value.data);
    case "error":
      return cases.error(value.error);
  }
}

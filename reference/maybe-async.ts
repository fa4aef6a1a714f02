// Steps of the request pipeline that may or may not wait: a static directory answers at once, LDAP
// and the MFA service answer later. A step returns its value when it has it and a Promise only when
// it must wait, so a request that waits on nothing runs start to finish in the call that received
// its datagram, with no promise or suspended async frame per step (under load those were a third of
// the server's CPU and much of its garbage).

export type MaybePromise<T> = T | Promise<T>;

/**
 * `next(state, value)` now when `value` is already there, else once it settles (rejections pass
 * through). The step's state is passed rather than captured, so a step that need not wait makes no
 * closure (nor the context a closure keeps): a chain of arrows made them at every step of every
 * login, waiting or not.
 */
export function andThenWith<S, T, U>(
  state: S,
  value: MaybePromise<T>,
  next: (state: S, value: T) => MaybePromise<U>,
): MaybePromise<U> {
  return value instanceof Promise ? later(state, value, next) : next(state, value);
}

/** Apart from andThenWith, so the closure's context is made only when something waits. */
function later<S, T, U>(
  state: S,
  value: Promise<T>,
  next: (state: S, value: T) => MaybePromise<U>,
): Promise<U> {
  return value.then((settled) => next(state, settled));
}

// Steps of the request pipeline that may or may not wait: a static directory answers at once, LDAP
// and the MFA service answer later. A step returns its value when it has it and a Promise only when
// it must wait, so a request that waits on nothing runs start to finish in the call that received
// its datagram, with no promise or suspended async frame per step (under load those were a third of
// the server's CPU and much of its garbage).

export type MaybePromise<T> = T | Promise<T>;

/** `next(value)` now when `value` is already there, else once it settles (rejections pass through). */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

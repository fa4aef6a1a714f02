// Results for decoding what a peer sent: decoding never throws, it names what was wrong from a closed
// list. Same shape as the packet codec's Result, so callers can handle both alike.

export type Result<T, E extends string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: E; readonly message: string };

export type Failure<E extends string> = Extract<Result<never, E>, { ok: false }>;

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Builds a failure whose message is the code's reason from `reasons`, plus an optional detail. */
export function failWith<E extends string>(
  reasons: Readonly<Record<E, string>>,
  code: E,
  detail?: string,
): Failure<E> {
  const reason = reasons[code];
  return { ok: false, code, message: detail === undefined ? reason : `${reason}: ${detail}` };
}

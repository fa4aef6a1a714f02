import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived its last full collection before it
 * collects again, as a percentage; `null` keeps V8's own factor.
 *
 * V8 picks that factor itself, between 1.1x and 4x of the live heap, and only a full collection
 * frees what a burst left behind. A server that takes a burst of MFA logins (each in flight long
 * enough to be promoted out of the young generation, then garbage) and then mostly waits on the
 * MFA service allocates too little afterwards to reach V8's limit: the burst's garbage stays
 * resident for as long as the logins wait, and bench/pending measured it at two thirds of the
 * server's memory per pending login. A fixed small factor collects during the burst instead. The
 * flag is read at each collection, so setting it once the process runs takes effect.
 */
export function setHeapGrowthPercent(percent: number | null): void {
  // V8 reads 0 as "not set": its own dynamic factor.
  setFlagsFromString(`--heap-growing-percent=${percent ?? 0}`);
}

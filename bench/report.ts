// Machine-readable benchmark output: one versioned JSON document per benchmark under reports/out,
// plus a short human table. Numbers from this machine are ratios between implementations measured
// in the same run, not capacities: client and server share the same cores.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';

export const BENCH_SCHEMA_VERSION = 1;

export interface MachineInfo {
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  /** 1, 5 and 15 minute load averages when the run ended: a busy machine explains odd figures. */
  readonly loadavg: readonly number[];
}

export interface BenchReport<P, R> {
  readonly schemaVersion: typeof BENCH_SCHEMA_VERSION;
  readonly name: string;
  readonly params: P;
  readonly machine: MachineInfo;
  readonly results: R;
}

export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadavg: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

export function makeReport<P, R>(name: string, params: P, results: R): BenchReport<P, R> {
  return { schemaVersion: BENCH_SCHEMA_VERSION, name, params, machine: machineInfo(), results };
}

/** reports/out/bench-<name>.json at the repository root. */
export function defaultReportPath(name: string): string {
  return resolve(import.meta.dirname, '..', 'reports', 'out', `bench-${name}.json`);
}

export function writeReport(path: string, report: BenchReport<unknown, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? upper) + upper) / 2;
}

/** `numerator / denominator`, or null when the denominator is zero or either side is missing. */
export function ratio(numerator: number, denominator: number): number | null {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return null;
  return Math.round((numerator / denominator) * 1000) / 1000;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function formatRatio(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)}x`;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A plain fixed-width table: first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const [header, ...body] = rows;
  if (header === undefined) return '';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

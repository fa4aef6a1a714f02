import { resolve } from 'node:path';
import { runProcess, type ProcessResult } from '../../peers/tools.ts';

const bin = resolve(import.meta.dirname, '../../bin/radmfa.js');

/** Runs the real `radmfa` command (bin/radmfa.js) as a user would, with a time bound. */
export function runRadmfa(args: readonly string[], timeoutMs = 60_000): Promise<ProcessResult> {
  return runProcess(process.execPath, [bin, ...args], { timeoutMs });
}

/** `radmfa nas ... --json`, parsed. */
export async function runNasJson(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<{ exitCode: number | null; json: Record<string, unknown>; stderr: string }> {
  const result = await runRadmfa(['nas', ...args, '--json'], timeoutMs);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(
      `radmfa nas printed no JSON (exit ${result.exitCode}): ${result.stdout}\n${result.stderr}`,
    );
  }
  return { exitCode: result.exitCode, json, stderr: result.stderr };
}

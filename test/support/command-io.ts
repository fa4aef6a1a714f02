// A CommandIo that keeps what a command printed, for running radmfa commands in process.
import type { CommandIo } from '../../cli/command-line.ts';

export type CapturedIo = CommandIo & { stdout: () => string; stderr: () => string };

export function captureIo(options: { signal?: AbortSignal; tty?: boolean } = {}): CapturedIo {
  let out = '';
  let err = '';
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    stdout: () => out,
    stderr: () => err,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.tty !== undefined ? { tty: options.tty } : {}),
  };
}

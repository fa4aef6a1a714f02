// The properties in a worker thread, so that a job runs them beside its suites: the properties are
// CPU work in virtual time, the suites mostly wait on real sockets and timers, and on two cores the
// two then overlap instead of adding up. The worker runs exactly runProperties with the same options,
// so the results are the ones an in-process run gives (same seed, same runs, same order).
//
// radmfa ships TypeScript run through tsx: a worker's entry cannot be a .ts file (Node loads it before
// any loader hook is registered in the new thread), so the entry is a few lines of JavaScript that
// import this file through tsx's tsImport.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { PropertyResult } from '../result.ts';
import { ValidationError } from '../../runtime/validation/index.ts';
import { checkPropertyOptions, properties } from './index.ts';
import { randomSeed, runProperty, type RunPropertiesOptions } from './run.ts';

/** What can cross to the worker: the options without callbacks or server overrides. */
export type WorkerPropertyOptions = Pick<
  RunPropertiesOptions,
  'names' | 'runs' | 'seed' | 'path' | 'budgetMs'
>;

/** Parent to worker: run this property (by name), or stop. */
type Order = { readonly kind: 'run'; readonly name: string } | { readonly kind: 'stop' };

/** Worker to parent. */
type Message =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result'; readonly result: PropertyResult }
  | { readonly kind: 'error'; readonly message: string };

interface Data {
  readonly role: 'radmfa-properties';
  readonly tsx: string;
  readonly module: string;
  readonly options: WorkerPropertyOptions;
}

const ENTRY = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx).then(({ tsImport }) => tsImport(workerData.module, workerData.module));
`;

/**
 * Worker threads for the properties. One: with the suites in the main thread that is a thread per
 * core on a 2-core CI machine, and each property keeps its whole wall-clock budget to itself.
 */
export const DEFAULT_WORKERS = 1;

/** The worker's entry needs tsx's API; without it (another loader runs radmfa) run in process. */
export function canRunInWorker(): boolean {
  try {
    import.meta.resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the properties in worker threads, each taking the next property when it is free, and resolves
 * with their results in the properties' own order; `onProperty` is called in this thread as each one
 * ends. Every property runs with the same options and seed as in process, so the results are the
 * same. A worker that cannot start or dies rejects, with its reason.
 */
export async function runPropertiesInWorker(
  options: WorkerPropertyOptions,
  onProperty?: (result: PropertyResult) => void,
  workers: number = DEFAULT_WORKERS,
): Promise<PropertyResult[]> {
  const checked = checkPropertyOptions(options);
  if (!checked.ok) throw new ValidationError('the property options', checked.issues);
  const names = properties.map((p) => p.name).filter((name) => options.names?.includes(name) ?? true);
  const seed = options.seed ?? randomSeed();
  const results = new Map<string, PropertyResult>();
  let next = 0;
  const data: Data = {
    role: 'radmfa-properties',
    tsx: import.meta.resolve('tsx/esm/api'),
    module: import.meta.url,
    options: { ...options, seed },
  };
  const thread = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(ENTRY, { eval: true, workerData: data });
      let settled = false;
      const end = (error?: Error): void => {
        if (settled) return;
        settled = true;
        if (error === undefined) resolve();
        else reject(error);
        void worker.terminate();
      };
      const order = (): void => {
        const name = names[next++];
        worker.postMessage((name === undefined ? { kind: 'stop' } : { kind: 'run', name }) satisfies Order);
        if (name === undefined) end();
      };
      worker.on('message', (message: Message) => {
        if (message.kind === 'error') return end(new Error(`the property worker failed: ${message.message}`));
        if (message.kind === 'result') {
          results.set(message.result.name, message.result);
          onProperty?.(message.result);
        }
        order();
      });
      worker.on('error', (error) => end(error));
      worker.on('exit', (code) =>
        end(new Error(`the property worker stopped (exit ${code}) before it finished`)),
      );
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, names.length)) }, thread));
  return names.flatMap((name) => results.get(name) ?? []);
}

function isWorkerData(value: unknown): value is Data {
  return (value as Partial<Data> | undefined)?.role === 'radmfa-properties';
}

/** In a worker: say it is ready, then run each property it is given until told to stop. */
function serve(port: NonNullable<typeof parentPort>, data: Data): void {
  const post = (message: Message): void => port.postMessage(message);
  port.on('message', (order: Order) => {
    if (order.kind === 'stop') {
      port.close();
      return;
    }
    const definition = properties.find((p) => p.name === order.name);
    if (definition === undefined) return post({ kind: 'error', message: `no property ${order.name}` });
    runProperty(definition, { ...data.options, seed: data.options.seed ?? 0 }).then(
      (result) => post({ kind: 'result', result }),
      (error: unknown) =>
        post({
          kind: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  post({ kind: 'ready' });
}

if (!isMainThread && parentPort !== null && isWorkerData(workerData)) {
  serve(parentPort, workerData);
}

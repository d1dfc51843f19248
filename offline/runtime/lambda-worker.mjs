// One Lambda execution environment: a worker thread that imports the function's bundle once (the cold start)
// and then runs one invocation at a time. Plain JS so it needs no TypeScript loader inside the worker.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { file, exportName, functionName, functionArn, memoryMb, logGroupName } = workerData;
let handler;
let initError;
try {
  const mod = await import(pathToFileURL(file).href);
  handler = mod[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} does not export a function '${exportName}'`);
} catch (err) {
  initError = err;
}

const serializeError = (err) => ({
  errorType: err?.name ?? 'Error',
  errorMessage: err?.message ?? String(err),
  stack: String(err?.stack ?? '').split('\n'),
});

parentPort.on('message', async ({ id, event, requestId, deadline }) => {
  if (initError)
    return parentPort.postMessage({ id, ok: false, error: { ...serializeError(initError), errorType: 'Runtime.ImportModuleError' } });
  const context = {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memoryMb),
    logGroupName,
    logStreamName: `offline/${requestId}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: serializeError(err) });
  }
});
parentPort.postMessage({ ready: true });

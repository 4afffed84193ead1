// The benchmark's APIG simulator, in a worker thread of its own (apig.ts talks
// to it by messages). APIG's clock is then not the benchmark's: while the main
// thread writes a thousand Secrets, the simulator still admits each request
// when it arrives and answers after its latency, as a remote service does,
// instead of taking a bunch of them at once when the main thread is free
// (that bunching alone put 51 arrivals in one second of the rate limiter's
// window, a 429 the operator did not cause).
import { parentPort } from 'node:worker_threads';
import {
  startApigSimulator,
  type ApigSimulator,
  type RequestLogEntry,
} from '../support/apig-simulator/index.ts';
import type { ApigCall, ApigReply, PutRecord, RunningApig } from './apig-messages.ts';

if (!parentPort) throw new Error('apig-worker.ts runs as a worker thread (apig.ts)');
const port = parentPort;
let simulator: ApigSimulator | undefined;

function current(): ApigSimulator {
  if (!simulator) throw new Error('the APIG simulator is not running');
  return simulator;
}

function record(entry: RequestLogEntry): void {
  if (entry.method !== 'PUT' || entry.certificateId === undefined) return;
  const put: PutRecord = {
    certificateId: entry.certificateId,
    at: Date.now(),
    status: entry.status,
    applied: entry.applied,
    // Called synchronously after the store took the PUT: this is what it holds now.
    serial: entry.applied ? simulator?.certificate(entry.certificateId)?.serialNumber : undefined,
  };
  const reply: ApigReply = { kind: 'put', put };
  port.postMessage(reply);
}

async function perform(call: ApigCall): Promise<unknown> {
  switch (call.op) {
    case 'start': {
      await simulator?.close();
      simulator = undefined;
      const { settings, token, port: listenPort, seeded } = call;
      const started = await startApigSimulator({
        staticTokens: [token],
        port: listenPort,
        ...(settings.rateLimitPerSecond === undefined
          ? {}
          : { rateLimitPerSecond: settings.rateLimitPerSecond }),
        onRequest: record,
      });
      if (settings.latencyMs > 0) {
        started.addFault({ fault: { kind: 'latency', ms: settings.latencyMs } });
      }
      for (const certificate of seeded) started.seedCertificate(certificate);
      simulator = started;
      const running: RunningApig = { url: started.url, projectId: started.projectId };
      return running;
    }
    case 'seed':
      for (const certificate of call.certificates) current().seedCertificate(certificate);
      return undefined;
    case 'requests':
      return current().requests();
    case 'consoleEdit':
      current().consoleEdit(call.certificateId, call.edit);
      return undefined;
    case 'close':
      await simulator?.close();
      simulator = undefined;
      return undefined;
  }
}

port.on('message', (message: { id: number; call: ApigCall }) => {
  perform(message.call).then(
    (result) => port.postMessage({ kind: 'result', id: message.id, result } satisfies ApigReply),
    (error: unknown) =>
      port.postMessage({
        kind: 'error',
        id: message.id,
        message: error instanceof Error ? error.message : String(error),
      } satisfies ApigReply),
  );
});

// The watch protocol's wire format: newline-delimited JSON events, with
// errors as Status objects inside the stream.
import { isKubeApiError, KubeApiError, type KubeStatus } from './kube-client.ts';
import type { RawObject } from './metadata.ts';

export interface WatchEventLine {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: RawObject;
}

interface WatchLine {
  type?: string;
  object?: RawObject & KubeStatus;
}

/** 410 Gone, as a status code or as an in-stream "too old resource version": only a relist helps. */
export function isExpired(error: unknown): boolean {
  return isKubeApiError(error, 410);
}

/**
 * Parses one line of a watch stream. An ERROR event, an unknown type or an
 * unparsable line throws: skipping it silently could lose a delete.
 */
export function parseWatchLine(line: string, plural: string): WatchEventLine {
  let parsed: WatchLine;
  try {
    parsed = JSON.parse(line) as WatchLine;
  } catch {
    throw new Error(`unparsable watch line (${line.length} bytes)`);
  }
  const object = parsed.object;
  if (!object || typeof object !== 'object') {
    throw new Error(`watch event ${parsed.type} has no object`);
  }
  switch (parsed.type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
    case 'BOOKMARK':
      return { type: parsed.type, object };
    case 'ERROR':
      throw statusError(object, plural);
    default:
      throw new Error(`unknown watch event type ${String(parsed.type)}`);
  }
}

function statusError(status: KubeStatus, plural: string): KubeApiError {
  const message = status.message ?? '';
  const code = /too old resource version/i.test(message) ? 410 : (status.code ?? 500);
  return new KubeApiError(code, status, `WATCH ${plural} (error event)`);
}

/** Splits a byte stream into trimmed, non-empty lines, the last one even without a newline. */
export async function* streamLines(
  body: AsyncIterable<Uint8Array>,
  onChunk: () => void,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    onChunk();
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') yield line;
    }
  }
  if (buffered.trim() !== '') yield buffered.trim();
}

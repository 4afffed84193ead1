// A LIST answer read as it arrives, one item at a time. A page of 500
// metadata-only Secrets written by `kubectl apply` carries each Secret's whole
// content in its last-applied-configuration annotation (~90 KiB for 64 KiB of
// data): as one string plus its parse, that page alone is ~90 MiB, more than
// the operator's memory limit. Read this way, one item is held at a time.
import type { RawObject } from './metadata.ts';

/** A list's own metadata: where the next page starts and the version of the snapshot. */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Splits a list object into its `items` (each parsed and handed to `onItem`
 * as soon as its closing brace arrives) and everything else, parsed at the
 * end. Throws on text that is not a JSON object, as `JSON.parse` would.
 */
export class ListBodyReader {
  readonly #onItem: (raw: RawObject) => void;
  /** The list without its items: `{"kind":…,"metadata":{…},"items":[]}`. */
  #outside = '';
  /** The item being read, across chunks. */
  #item = '';
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** The last string read in the top-level object (a key, when an array opens), and the one being read. */
  #key = '';
  #readingKey: string | undefined;
  #inItems = false;

  constructor(onItem: (raw: RawObject) => void) {
    this.#onItem = onItem;
  }

  /** Feeds the next piece of the body. */
  write(text: string): void {
    // `from`: where the part of `text` not yet copied to #outside or #item starts.
    let from = 0;
    const copy = (to: number): void => {
      if (this.#inItems && this.#depth >= 3) this.#item += text.slice(from, to);
      else if (!this.#inItems || this.#depth < 2) this.#outside += text.slice(from, to);
      from = to;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === BACKSLASH) this.#escaped = true;
        else if (c === QUOTE) {
          this.#inString = false;
          if (this.#readingKey !== undefined) {
            this.#key = this.#readingKey;
            this.#readingKey = undefined;
          }
        } else if (this.#readingKey !== undefined) this.#readingKey += text[i];
        continue;
      }
      switch (c) {
        case QUOTE:
          this.#inString = true;
          // A string directly in the top-level object: a key or a value; before `[`, the key.
          if (this.#depth === 1) this.#readingKey = '';
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          if (this.#inItems && this.#depth === 2) copy(i);
          this.#depth++;
          if (this.#depth === 2 && c === OPEN_ARRAY && this.#key === 'items') {
            copy(i + 1);
            this.#inItems = true;
          }
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          if (this.#inItems && this.#depth === 3) {
            copy(i + 1);
            this.#depth--;
            this.#onItem(JSON.parse(this.#item) as RawObject);
            this.#item = '';
            break;
          }
          if (this.#inItems && this.#depth === 2) {
            copy(i);
            this.#inItems = false;
            this.#key = '';
          }
          this.#depth--;
          break;
        default:
          // Commas and whitespace between items are dropped with the items.
          if (this.#inItems && this.#depth === 2) from = i + 1;
      }
    }
    copy(text.length);
  }

  /** The list's metadata, once the whole body has been written. */
  end(): ListMeta {
    const list = JSON.parse(this.#outside) as { metadata?: ListMeta };
    return list.metadata ?? {};
  }
}

/** Reads a LIST response body, calling `onItem` for each item; returns the list's metadata. */
export async function readListBody(
  body: AsyncIterable<Uint8Array>,
  onItem: (raw: RawObject) => void,
): Promise<ListMeta> {
  const decoder = new TextDecoder();
  const reader = new ListBodyReader(onItem);
  for await (const chunk of body) reader.write(decoder.decode(chunk, { stream: true }));
  reader.write(decoder.decode());
  return reader.end();
}

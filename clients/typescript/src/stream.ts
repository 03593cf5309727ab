// Server-sent events read from a fetch Response's body: the chat's `text/event-stream`.
//
// The format (https://html.spec.whatwg.org/multipage/server-sent-events.html): events are
// separated by a blank line; `event:` names one (none: "message"), `data:` lines carry its
// data, joined by newlines; lines starting with ":" are comments.
import type { components } from "./schema.js";

type Schemas = components["schemas"];

/** One event of a streamed chat answer, by its name on the wire. */
export type ChatStreamEvent =
  | ({ type: "delta" } & Schemas["ChatStreamDelta"])
  | ({ type: "done" } & Schemas["ChatStreamDone"])
  | ({ type: "error" } & Schemas["ChatStreamError"]);

export interface ServerSentEvent {
  event: string;
  data: string;
}

/** The events of an event stream as they arrive. Leaving the loop early cancels the body,
 * which closes the connection: the server stops the model and records the answer as
 * cancelled. */
export async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // UTF-8; a character split across chunks waits
  let buffer = "";
  let scanned = 0; // buffer[0:scanned] holds no line end: not read again
  let event = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (;;) {
        // A line ends with \r\n, \n or \r.
        let end = scanned;
        while (end < buffer.length && buffer[end] !== "\n" && buffer[end] !== "\r") end++;
        // None yet, or a \r at the very end that may be the first half of a \r\n.
        if (end >= buffer.length - (buffer[end] === "\r" ? 1 : 0)) {
          scanned = end;
          break;
        }
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer[end] === "\r" && buffer[end + 1] === "\n" ? 2 : 1));
        scanned = 0;
        if (line === "") {
          if (data.length) yield { event: event || "message", data: data.join("\n") };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A chat stream's events, typed: `delta`s, then one `done` or `error`. */
export async function* chatStreamEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  for await (const { event, data } of serverSentEvents(body)) {
    const parsed: unknown = JSON.parse(data);
    if (event === "message" && isObject(parsed) && typeof parsed.delta === "string") {
      yield { type: "delta", delta: parsed.delta };
    } else if (
      event === "done" &&
      isObject(parsed) &&
      typeof parsed.tokensUsed === "number" &&
      typeof parsed.cached === "boolean"
    ) {
      yield { type: "done", tokensUsed: parsed.tokensUsed, cached: parsed.cached };
      return;
    } else if (event === "error" && isObject(parsed) && typeof parsed.detail === "string") {
      yield { type: "error", detail: parsed.detail };
      return;
    } else {
      throw new Error(`Unexpected chat stream event ${event}: ${data}`);
    }
  }
  throw new Error("The chat stream ended without a done or error event.");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

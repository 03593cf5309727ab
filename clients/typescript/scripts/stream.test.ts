// The event stream reader on the byte boundaries a network makes: lines and characters split
// across chunks, \r\n and \r line ends, comments, several data lines, and a stream that ends
// without its done event. Run with `node --test` by tests/clients/test_typescript_client.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chatStreamEvents, serverSentEvents, type ChatStreamEvent } from "../src/index.js";

function body(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      }
      controller.close();
    },
  });
}

async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

test("events split anywhere, with every line end, read whole", async () => {
  const euro = new TextEncoder().encode('data: {"delta": "5 €"}\r\n\r\n');
  const cut = euro.indexOf(0xe2) + 1; // inside the euro sign's three bytes
  const events = await collect(
    serverSentEvents(
      body(
        ": a comment\n",
        'data: {"delta": "Hel',
        'lo"}\r',
        "\n\r\n",
        euro.slice(0, cut),
        euro.slice(cut),
        "event: done\rdata: line one\r",
        "\ndata: line two\r\r",
        "data: never ended",
      ),
    ),
  );
  assert.deepEqual(events, [
    { event: "message", data: '{"delta": "Hello"}' },
    { event: "message", data: '{"delta": "5 €"}' },
    { event: "done", data: "line one\nline two" },
  ]);
});

test("a chat stream is its deltas, then done", async () => {
  const events = await collect(
    chatStreamEvents(
      body(
        'data: {"delta": "Yes"}\n\n',
        'data: {"delta": "."}\n\n',
        'event: done\ndata: {"tokensUsed": 12, "cached": false}\n\n',
      ),
    ),
  );
  const expected: ChatStreamEvent[] = [
    { type: "delta", delta: "Yes" },
    { type: "delta", delta: "." },
    { type: "done", tokensUsed: 12, cached: false },
  ];
  assert.deepEqual(events, expected);
});

test("an error ends the stream; the deltas before it stand", async () => {
  const events = await collect(
    chatStreamEvents(
      body('data: {"delta": "Par"}\n\n', 'event: error\ndata: {"detail": "The AI is busy."}\n\n'),
    ),
  );
  assert.deepEqual(events, [
    { type: "delta", delta: "Par" },
    { type: "error", detail: "The AI is busy." },
  ]);
});

test("a stream cut before done, or an unknown event, is an error", async () => {
  await assert.rejects(collect(chatStreamEvents(body('data: {"delta": "Par"}\n\n'))), /without/);
  await assert.rejects(
    collect(chatStreamEvents(body('event: ping\ndata: {}\n\n'))),
    /Unexpected chat stream event ping/,
  );
});

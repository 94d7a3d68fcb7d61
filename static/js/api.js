// The API client: every call to the server goes through here. A call resolves to
// {ok: true, body}, {ok: false, error} (the error envelope's `error`, or a "network"
// error when no JSON answer came) or {aborted: true}; it never throws.

import { fromColumns, nextTask } from "./columns.js";

const JSON_HEADERS = { "content-type": "application/json" };

function networkError(err) {
  return { type: "network", summary: String(err), message: String(err) };
}

async function call(url, init = {}) {
  try {
    const response = await fetch(url, init);
    const body = await response.json();
    return response.ok ? { ok: true, body } : { ok: false, error: body.error };
  } catch (err) {
    if (err.name === "AbortError") return { aborted: true };
    return { ok: false, error: networkError(err) };
  }
}

function post(url, payload, signal) {
  return call(url, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(payload), signal });
}

// An answer asked for in the compact form (`"format": "columns"`, requests.js) comes back
// as the default answer: read as it arrives (`onProgress({phase: "reading", bytes})`),
// parsed, then unpacked in slices (`{phase: "unpacking"}`), the page answering between them.
export async function graph(payload, signal, onProgress = () => {}) {
  if (payload.format !== "columns") return post("/api/graph", payload, signal);
  try {
    const response = await fetch("/api/graph", {
      method: "POST", headers: JSON_HEADERS, body: JSON.stringify(payload), signal,
    });
    if (!response.ok) return { ok: false, error: (await response.json()).error };
    const text = await readText(response, (bytes) => onProgress({ phase: "reading", bytes }));
    await nextTask(); // the text read, then parsed in a task of its own
    if (signal.aborted) return { aborted: true };
    const columns = JSON.parse(text);
    onProgress({ phase: "unpacking" });
    await nextTask();
    return { ok: true, body: await fromColumns(columns, { signal }) };
  } catch (err) {
    if (err.name === "AbortError") return { aborted: true };
    return { ok: false, error: networkError(err) };
  }
}

// A response's text, decoded chunk by chunk as it arrives; `progress(bytes)` after each.
async function readText(response, progress) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parts = [];
  let bytes = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
    parts.push(decoder.decode(value, { stream: true }));
    progress(bytes);
  }
  parts.push(decoder.decode());
  return parts.join("");
}

export const network = (spec) => post("/api/network", spec);
export const ops = () => call("/api/ops");

// POST /api/lesson: the lesson file, as a Blob to save ({ok: true, body: Blob}).
export async function lesson(payload) {
  try {
    const response = await fetch("/api/lesson", {
      method: "POST", headers: JSON_HEADERS, body: JSON.stringify(payload),
    });
    if (response.ok) return { ok: true, body: await response.blob() };
    return { ok: false, error: (await response.json()).error };
  } catch (err) {
    return { ok: false, error: networkError(err) };
  }
}
export const optimizers = () => call("/api/optimizers");
export const examples = () => call("/api/examples");
export const example = (id) => call(`/api/examples/${encodeURIComponent(id)}`);
export const csv = (text) => post("/api/points/csv", { csv: text });
// A network at a flight recorder's pass: its loss, accuracy, boundary and neuron maps.
export const trainView = (payload, signal) => post("/api/train/view", payload, signal);

// Pace, pause, resume or step a run: {pace, paused, step}.
export function trainControl(runId, changes) {
  return post(`/api/train/${encodeURIComponent(runId)}/control`, changes);
}

export function dataset(spec) {
  const query = new URLSearchParams({ n: spec.n, noise: spec.noise, seed: spec.seed });
  return call(`/api/datasets/${encodeURIComponent(spec.name)}?${query}`);
}

// A training run, streamed as server-sent events: onEvent(name, data) for each, until
// the run ends or `signal` aborts it. Resolves like the other calls, with no body.
export async function train(payload, signal, onEvent) {
  try {
    const response = await fetch("/api/train", {
      method: "POST", signal, body: JSON.stringify(payload),
      headers: { ...JSON_HEADERS, accept: "text/event-stream" },
    });
    if (!response.ok) return { ok: false, error: (await response.json()).error };
    await readEvents(response, onEvent);
    return { ok: true };
  } catch (err) {
    if (err.name === "AbortError") return { aborted: true };
    return { ok: false, error: networkError(err) };
  }
}

export function cancelTraining(runId) {
  return fetch(`/api/train/${encodeURIComponent(runId)}/cancel`, { method: "POST" }).catch(() => {});
}

// Read server-sent events off a fetch response, calling onEvent(name, data) for each.
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

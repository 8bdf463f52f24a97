/**
 * A small stand-in for k6 (which cannot be installed here): runs a k6 script's setup, each
 * scenario's exec function for a few iterations, and teardown, in a worker thread, doing its
 * HTTP requests with fetch on this thread against a real server. Returns the requests made,
 * k6's metric samples, the parsed options, and the thresholds evaluated on those samples.
 */
import { Worker, MessageChannel } from 'node:worker_threads'
import { BUILTIN_METRICS, evaluateThresholds, optionProblems, type MetricType, type Sample, type ThresholdResult } from './k6-thresholds.js'
import type { ScriptError, WireRequest, WireResponse, WorkerDone, WorkerInput } from './k6-shim-worker.js'

export interface K6Request { method: string; url: string; headers: Record<string, string>; bodyBytes: number; status: number; responseHeaders: Record<string, string> }

export interface K6Run {
  options: Record<string, any>
  /** what k6 would refuse in the options (empty when they parse) */
  optionProblems: string[]
  requests: K6Request[]
  samples: Sample[]
  metrics: Record<string, MetricType>
  errors: ScriptError[]
  thresholds: ThresholdResult[]
  /** seconds the script asked to sleep (not waited) */
  slept: number
}

const WORKER = new URL('./k6-shim-worker.ts', import.meta.url)

/** Runs `script` with `env` (k6's __ENV) for `iterations` iterations of each scenario. */
export async function runK6Script(script: string, env: Record<string, string>, iterations: number): Promise<K6Run> {
  const flag = new SharedArrayBuffer(4)
  const signal = new Int32Array(flag)
  const { port1, port2 } = new MessageChannel()
  const input: WorkerInput = { script, env, iterations, flag, port: port1 }
  const worker = new Worker(WORKER, { workerData: input, transferList: [port1] })
  const requests: K6Request[] = []

  const answer = async (reqs: WireRequest[]) => {
    const out = await Promise.all(reqs.map((r) => send(r, requests)))
    port2.postMessage(out, out.flatMap((o) => (o.body instanceof ArrayBuffer ? [o.body] : [])))
    Atomics.store(signal, 0, 1)
    Atomics.notify(signal, 0)
  }
  const done = await new Promise<WorkerDone>((resolve, reject) => {
    worker.on('message', (m: { type: string; requests?: WireRequest[] }) => {
      if (m.type === 'http') answer(m.requests!).catch(reject)
      else resolve(m as WorkerDone)
    })
    worker.on('error', reject)
    worker.on('exit', (code) => reject(new Error(`k6 shim worker exited with ${code} before finishing`)))
  })
  await worker.terminate()
  port2.close()
  const types = { ...BUILTIN_METRICS, ...done.metrics }
  return {
    options: done.options,
    optionProblems: optionProblems(done.options, done.exported, types),
    requests,
    samples: done.samples,
    metrics: done.metrics,
    errors: done.errors,
    thresholds: evaluateThresholds(done.options.thresholds ?? {}, done.samples, types),
    slept: done.slept,
  }
}

/** One request as k6 would make it; network failures are status 0 with an error, as in k6. */
async function send(r: WireRequest, log: K6Request[]): Promise<WireResponse> {
  const t0 = performance.now()
  const sentBytes = typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body?.byteLength ?? 0
  try {
    const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(r.timeoutMs) })
    const t1 = performance.now()
    const bytes = new Uint8Array(await res.arrayBuffer())
    const t2 = performance.now()
    const headers = [...res.headers.entries()]
    log.push({ method: r.method, url: r.url, headers: r.headers, bodyBytes: sentBytes, status: res.status, responseHeaders: Object.fromEntries(headers) })
    return {
      status: res.status, url: res.url, headers, error: '', sentBytes, receivedBytes: bytes.byteLength,
      body: r.binary ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) : Buffer.from(bytes).toString('utf8'),
      timings: { duration: t2 - t0, waiting: t1 - t0, receiving: t2 - t1, sending: 0 },
    }
  } catch (e) {
    log.push({ method: r.method, url: r.url, headers: r.headers, bodyBytes: sentBytes, status: 0, responseHeaders: {} })
    return { status: 0, url: r.url, headers: [], body: null, error: String((e as Error).message), sentBytes, receivedBytes: 0, timings: { duration: performance.now() - t0, waiting: 0, receiving: 0, sending: 0 } }
  }
}

/** The outputs of a bench run: a Markdown table on stdout, the JSON file, and an SVG chart of each figure against its target. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { targetText, type ScenarioResult } from './common.js'

export interface BenchReport {
  date: string
  machine: { cpus: number; model: string; node: string; memory_gb: number; platform: string }
  options: { rows: number; stream_rows: number; reps: number; quick: boolean; only: string[] }
  seconds: number
  scenarios: ScenarioResult[]
}

export function machine(): BenchReport['machine'] {
  const cpus = os.cpus()
  return { cpus: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown', node: process.version, memory_gb: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}` }
}

const fmt = (x: number | null) => x === null || !Number.isFinite(x) ? '–' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2)

export function table(r: BenchReport): string {
  const lines = [
    `Sluice bench — ${r.date}, ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memory_gb} GB, Node ${r.machine.node}; ${r.options.rows} rows, ${r.options.reps} reps (medians)`,
    '',
    '| # | scenario | Sluice | baseline | unit | ratio | target | met | note |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  r.scenarios.forEach((s, i) => {
    const met = s.error ? 'ERROR' : s.met === null ? '–' : s.met ? 'yes' : 'no'
    lines.push(`| ${i + 1} | ${s.name} | ${fmt(s.sluice)} | ${fmt(s.baseline)} | ${s.unit} | ${fmt(s.ratio)} | ${targetText(s.target, s.unit)} | ${met} | ${s.error ? s.error.replaceAll('\n', ' ').slice(0, 200) : s.note} |`)
  })
  return lines.join('\n')
}

const esc = (t: string) => t.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!)

/**
 * One row per scenario: the measured value (the ratio, or Sluice's figure when the target is on
 * it) as a bar on a log scale, the target as a tick; green when met, red when not.
 */
export function svg(r: BenchReport): string {
  const W = 760, rowH = 44, top = 48, left = 250, plotW = 420
  const H = top + rowH * r.scenarios.length + 40
  const values = r.scenarios.flatMap((s) => [s.target.value, s.target.on === 'ratio' ? s.ratio : s.sluice]).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0)
  const lo = Math.min(0.01, ...values) / 1.5
  const hi = Math.max(100, ...values) * 1.5
  const x = (v: number) => left + (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * plotW
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(`Sluice vs baselines — ${r.date.slice(0, 10)}, ${r.options.rows} rows, ${r.machine.cpus} CPUs`)}</text>`,
    `<text x="10" y="36" fill="#555">${esc('bar: measured ratio (memory: MB growth), log scale; black tick: target; green met, red missed')}</text>`,
  ]
  for (const t of [0.01, 0.1, 1, 10, 100]) {
    if (t < lo || t > hi) continue
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${H - 36}" stroke="#ddd"/>`,
      `<text x="${x(t).toFixed(1)}" y="${H - 22}" text-anchor="middle" fill="#555">${t}</text>`)
  }
  r.scenarios.forEach((s, i) => {
    const y = top + i * rowH
    const v = s.target.on === 'ratio' ? s.ratio : s.sluice
    out.push(`<text x="10" y="${y + 22}">${esc(`${i + 1}. ${s.id}`)}</text>`)
    if (v !== null && Number.isFinite(v) && v > 0) {
      const color = s.met === null ? '#999' : s.met ? '#2a9d3a' : '#d0342c'
      out.push(`<rect x="${left}" y="${y + 10}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="18" fill="${color}"/>`,
        `<text x="${Math.min(W - 70, x(v) + 6).toFixed(1)}" y="${y + 23}">${esc(fmt(v))}</text>`)
    } else out.push(`<text x="${left + 4}" y="${y + 23}" fill="#999">${esc(s.error ? 'error' : 'no figure')}</text>`)
    const tx = x(s.target.value)
    out.push(`<line x1="${tx.toFixed(1)}" y1="${y + 5}" x2="${tx.toFixed(1)}" y2="${y + 33}" stroke="black" stroke-width="2"/>`,
      `<text x="${(tx).toFixed(1)}" y="${y + 42}" text-anchor="middle" font-size="10">${esc(targetText(s.target, s.unit))}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

export function writeReport(r: BenchReport, dir: string, base: string): { json: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true })
  const json = path.join(dir, `${base}.json`)
  const chart = path.join(dir, `${base}.svg`)
  fs.writeFileSync(json, JSON.stringify(r, null, 2) + '\n')
  fs.writeFileSync(chart, svg(r))
  return { json, svg: chart }
}

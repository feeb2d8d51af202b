// The doctor's report three ways: lines for the terminal, JSON for programs (and the dashboard), and
// one self-contained HTML page (figures inlined as data: URLs) to keep with the run or send around.

import { mkdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatDuration } from '../util/format.js';
import type { DoctorReport } from './runner.js';
import type { CheckResult, Verdict } from './types.js';

const MARK: Record<Verdict, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' };

/** One line per check, and the fix under each warning and failure. */
export function formatResult(r: CheckResult): string {
  let s = `${MARK[r.verdict].padEnd(5)} ${r.title}: ${r.summary} (${formatDuration(r.seconds)})`;
  if (r.fix && (r.verdict === 'warn' || r.verdict === 'fail' || r.verdict === 'error')) s += `\n      fix: ${r.fix}`;
  return s;
}

export function formatReport(rep: DoctorReport): string {
  const lines = rep.results.map(formatResult);
  const c = rep.counts;
  lines.push(`doctor: ${c.fail} failed, ${c.error} errors, ${c.warn} warnings, ${c.pass} passed${c.skip ? `, ${c.skip} skipped` : ''} in ${formatDuration(rep.seconds)}`);
  return lines.join('\n');
}

/** The report without figure bytes (figures are named by their files). */
export function reportJson(rep: DoctorReport, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...meta,
    verdict: rep.verdict,
    counts: rep.counts,
    seconds: rep.seconds,
    results: rep.results.map((r) => ({ ...r, figures: (r.figures ?? []).map((f) => ({ name: f.name, caption: f.caption, file: figureFile(r, f.name) })) })),
  };
}

function figureFile(r: CheckResult, name: string): string {
  return `${r.id}-${name}.png`.replace(/[^A-Za-z0-9._-]+/g, '-');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function evidenceHtml(ev: CheckResult['evidence']): string {
  const rows = Object.entries(ev).map(([k, v]) => {
    let text: string;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) text = Object.entries(v).map(([a, b]) => `${a}: ${String(b)}`).join(', ');
    else if (Array.isArray(v)) text = v.length > 24 ? `${v.slice(0, 24).join(', ')}, … (${v.length} values)` : v.join(', ');
    else text = String(v);
    return `<tr><th>${esc(k)}</th><td>${esc(text)}</td></tr>`;
  });
  return rows.length ? `<table class="ev">${rows.join('')}</table>` : '';
}

export function reportHtml(rep: DoctorReport, meta: { title?: string; subtitle?: string } = {}): string {
  const items = rep.results.map((r) => {
    const figs = (r.figures ?? []).map((f) => `<figure><img alt="${esc(f.caption)}" src="data:image/png;base64,${Buffer.from(f.png).toString('base64')}"><figcaption>${esc(f.caption)}</figcaption></figure>`).join('');
    return `<section class="check ${r.verdict}" id="${esc(r.id)}">
<h2><span class="badge">${MARK[r.verdict]}</span> ${esc(r.title)} <small>${esc(r.id)} · ${esc(r.group)} · ${esc(formatDuration(r.seconds))}</small></h2>
<p>${esc(r.summary)}</p>${r.fix ? `<p class="fix"><b>Fix:</b> ${esc(r.fix)}</p>` : ''}
<details${r.verdict === 'fail' ? ' open' : ''}><summary>evidence</summary>${evidenceHtml(r.evidence)}</details>${figs}
</section>`;
  }).join('\n');
  const c = rep.counts;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title ?? 'Sous doctor report')}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{margin-bottom:.2em} .sub{color:#666;margin-top:0}
.check{border-left:6px solid #bbb;padding:.3em 1em;margin:1em 0;background:#fafafa}
.check.pass{border-color:#2a8a3e}.check.warn{border-color:#d49b00}.check.fail{border-color:#c62828}.check.error{border-color:#7b1fa2}
.badge{font-size:.75em;padding:.1em .5em;border-radius:3px;color:#fff;background:#888}
.pass .badge{background:#2a8a3e}.warn .badge{background:#d49b00}.fail .badge{background:#c62828}.error .badge{background:#7b1fa2}
h2{font-size:1.1em} h2 small{color:#777;font-weight:normal}
.fix{background:#fff3cd;padding:.4em .6em}
table.ev{border-collapse:collapse;font-size:.9em} table.ev th{text-align:left;padding-right:1em;vertical-align:top;color:#555}
figure{display:inline-block;margin:.5em 1em .5em 0} img{image-rendering:pixelated;max-width:100%;border:1px solid #ddd}
</style></head><body>
<h1>${esc(meta.title ?? 'Sous doctor report')}</h1>
<p class="sub">${esc(meta.subtitle ?? '')}</p>
<p><b>${c.fail}</b> failed, <b>${c.error}</b> errors, <b>${c.warn}</b> warnings, <b>${c.pass}</b> passed${c.skip ? `, ${c.skip} skipped` : ''} in ${esc(formatDuration(rep.seconds))}</p>
${items}
</body></html>
`;
}

/** Writes doctor.json, doctor.html and the figures' PNG files into `dir` (atomically, each). */
export function writeReport(dir: string, rep: DoctorReport, meta: { title?: string; subtitle?: string; [k: string]: unknown } = {}): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  for (const r of rep.results) {
    for (const f of r.figures ?? []) writeFileAtomic(join(dir, figureFile(r, f.name)), (fd) => { writeSync(fd, f.png); });
  }
  const json = join(dir, 'doctor.json');
  const html = join(dir, 'doctor.html');
  writeFileAtomic(json, (fd) => { writeSync(fd, `${JSON.stringify(reportJson(rep, meta), null, 2)}\n`); });
  writeFileAtomic(html, (fd) => { writeSync(fd, reportHtml(rep, meta)); });
  return { json, html };
}

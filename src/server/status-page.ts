// GET /: the status for people — plain HTML and CSS, readable without JavaScript.
import type { StatusReport } from './status-report.js';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}h1{font-size:1.4rem}
h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;
border-bottom:1px solid #d0d7de;vertical-align:top}th{background:#f6f8fa}code{font-size:13px}.error{color:#b42318}
.muted{color:#57606a}ul{margin:.2rem 0;padding-left:1.2rem}`;

/** The whole page for one status report. */
export function renderStatusPage(report: StatusReport): string {
  const images = report.images.map(
    (i) => `<tr><td>${esc(i.name)}</td><td>${when(i.lastScan)}</td><td>${i.tagCount}</td><td>${i.excluded}</td><td>${errorCell(i.error)}</td></tr>`,
  );
  const policies = report.policies.map(
    (p) =>
      `<tr><td>${esc(p.name)}</td><td>${p.latest ? `<code>${esc(p.latest.tag)}</code>${p.latest.digest ? `<br><code class="muted">${esc(p.latest.digest)}</code>` : ''}` : '<span class="muted">none</span>'}</td><td>${errorCell(p.error)}</td></tr>`,
  );
  const automations = report.automations.map((a) => {
    const commit = a.lastCommit
      ? `<code>${esc(a.lastCommit.sha.slice(0, 12))}</code> ${esc(a.lastCommit.subject)}<br><span class="muted">${esc(a.lastCommit.at)}</span>`
      : '<span class="muted">none yet</span>';
    const changes = a.changes.length
      ? `<ul>${a.changes.map((c) => `<li>${esc(c.policy)}: <code>${esc(c.repository)}</code> ${esc(c.from)} → ${esc(c.to)} <span class="muted">(${esc(c.file)})</span></li>`).join('')}</ul>`
      : '';
    const problems = a.problems.length
      ? `<ul class="error">${a.problems.map((p) => `<li>${esc(p.file)}:${p.line}: ${esc(p.message)}</li>`).join('')}</ul>`
      : '';
    const held = a.heldBack.length
      ? `<ul>${a.heldBack.map((h) => `<li>${esc(h.policy)}: <code>${esc(h.tag)}</code> held back (reverted by <code>${esc(h.revertedBy.slice(0, 12))}</code>)</li>`).join('')}</ul>`
      : '';
    const review = a.pullRequest ? `<br>review: <a href="${esc(a.pullRequest.url)}">#${a.pullRequest.number}</a>` : '';
    return `<tr><td>${esc(a.name)}</td><td>${when(a.lastRun)}</td><td>${commit}${review}${changes}${held}</td><td>${errorCell(a.error)}${problems}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="30"><title>tagpilot</title><style>${STYLE}</style></head>
<body><h1>tagpilot</h1>
<h2>Automations</h2>
${table(['automation', 'last run', 'last commit', 'problems'], automations)}
<h2>Policies</h2>
${table(['policy', 'latest', 'why none / error'], policies)}
<h2>Images</h2>
${table(['image', 'last scan', 'tags', 'excluded', 'error'], images)}
<p class="muted">JSON: <a href="/api/v1/status">/api/v1/status</a> · metrics: <a href="/metrics">/metrics</a></p>
</body></html>
`;
}

function table(headers: string[], rows: string[]): string {
  if (rows.length === 0) return '<p class="muted">none configured</p>';
  return `<table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function when(iso: string | null): string {
  return iso ? esc(iso) : '<span class="muted">never</span>';
}

function errorCell(error: string | null): string {
  return error ? `<span class="error">${esc(error)}</span>` : '';
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

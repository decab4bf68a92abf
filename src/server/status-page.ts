// GET /: the status for people — plain HTML and CSS, readable without JavaScript. Every fact comes
// from the status report (the same one /api/v1/status answers); this file only lays it out.
import type { StatusReport } from './status-report.js';

type Automation = StatusReport['automations'][number];
type Policy = StatusReport['policies'][number];
/** Tags listed as unsigned per policy; the API lists them all. */
const SKIPPED_SHOWN = 5;
type Image = StatusReport['images'][number];

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem 2rem;color:#1b1f24;max-width:1200px}
h1{font-size:1.4rem;margin:0}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
h3{font-size:1rem;margin:0 0 .4rem}table{border-collapse:collapse;width:100%;margin:.3rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}th{background:#f6f8fa;font-weight:600}
code{font-size:12.5px;background:#f6f8fa;padding:0 .2rem;border-radius:3px}.error{color:#b42318}.muted{color:#57606a}
ul{margin:.2rem 0;padding-left:1.2rem}.head{display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap}
.summary{padding:.6rem .9rem;border-radius:6px;margin:1rem 0;font-weight:600}.s-failing{background:#fee4e2;color:#912018}
.s-ok{background:#dcfae6;color:#085d3a}.s-pending,.s-empty{background:#fef0c7;color:#93370d}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.8rem 1rem;margin:.8rem 0}dl{display:grid;grid-template-columns:9rem 1fr;gap:.15rem .8rem;margin:.3rem 0}
dt{color:#57606a}dd{margin:0}.badge{font-size:12px;padding:.05rem .45rem;border-radius:10px;font-weight:600;white-space:nowrap}
.b-failing,.b-not-pushed,.b-unknown-policy{background:#fee4e2;color:#912018}.b-ok,.b-up-to-date{background:#dcfae6;color:#085d3a}
.b-held-back,.b-will-change,.b-in-review,.b-not-run,.b-no-pick{background:#fef0c7;color:#93370d}
.box{background:#fff6f5;border-left:3px solid #d92d20;padding:.4rem .7rem;margin:.5rem 0}`;

/** The whole page for one status report. */
export function renderStatusPage(report: StatusReport): string {
  const now = new Date(report.generatedAt);
  const t = (iso: string | null, none = 'never') => timestamp(iso, now, none);
  const empty = report.images.length === 0 && report.policies.length === 0 && report.automations.length === 0;
  const body = empty
    ? emptyState(report)
    : `<h2>Automations</h2>
${report.automations.map((a) => automationCard(a, t)).join('\n') || '<p class="muted">none configured</p>'}
<h2>Policies</h2>
${table(['policy', 'rule', 'pick', 'why'], report.policies.map((p) => policyRow(p, t)))}
<h2>Images</h2>
${table(['image', 'repository', 'interval', 'last scan', 'next scan', 'last webhook', 'tags', 'error'], report.images.map((i) => imageRow(i, t)))}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="30"><title>tagpilot — ${esc(report.summary.text)}</title><style>${STYLE}</style></head>
<body><div class="head"><h1>tagpilot</h1><span class="muted">version ${esc(report.version)} · up ${esc(duration(report.uptimeSeconds))} (since ${t(report.startedAt)}) · page as of ${esc(clock(report.generatedAt))}</span></div>
<p class="summary s-${report.summary.state}">${esc(report.summary.text)}</p>
${failingList(report, t)}
${body}
<p class="muted">config: ${report.configFiles.map((f) => `<code>${esc(f)}</code>`).join(', ') || 'unknown'} · JSON: <a href="/api/v1/status">/api/v1/status</a> · metrics: <a href="/metrics">/metrics</a> · this page refreshes every 30 s</p>
</body></html>
`;
}

type Time = (iso: string | null, none?: string) => string;

function failingList(report: StatusReport, t: Time): string {
  const { failing } = report.summary;
  if (failing.length === 0) return '';
  return `<ul class="error">${failing.map((f) => `<li>${f.kind} <strong>${esc(f.name)}</strong> failing since ${t(f.since)}: ${esc(f.error)}</li>`).join('')}</ul>`;
}

function emptyState(report: StatusReport): string {
  const files = report.configFiles.map((f) => `<code>${esc(f)}</code>`).join(', ') || 'the config file';
  return `<div class="card"><h3>Nothing to watch yet</h3>
<p>tagpilot is running with ${files}, which names no images, policies or automations.</p>
<ol><li>Add an <code>images</code> entry (the repository to watch), a <code>policies</code> entry (which tags to pick) and an
<code>automations</code> entry (the Git repository and paths to write) to that file — the README's “Configure” section has a minimal example,
and <code>docs/configuration.md</code> describes every key.</li>
<li>Check it with <code>npx tagpilot check --config ${esc(report.configFiles[0] ?? 'config/tagpilot.yaml')}</code>.</li>
<li>Mark the fields to keep up to date in your Git repository with <code>{"$imagepolicy": "POLICY"}</code> comments.</li></ol>
<p class="muted">tagpilot reloads the file when it changes (or on SIGHUP).</p></div>`;
}

function automationCard(a: Automation, t: Time): string {
  const state = a.error ? 'failing' : !a.lastRun ? 'not run' : a.heldBack.length > 0 ? 'held back' : 'ok';
  const label = state === 'ok' ? 'up to date' : state;
  const git = `<dl><dt>git</dt><dd><code>${esc(a.git.url)}</code></dd>
<dt>branch</dt><dd><code>${esc(a.git.branch)}</code>${a.git.pushBranch ? ` → pushes to <code>${esc(a.git.pushBranch)}</code> for review` : ''}</dd>
<dt>paths</dt><dd>${a.git.paths.map((p) => `<code>${esc(p)}</code>`).join(' ')} <span class="muted">(update: ${esc(a.update)})</span></dd>
<dt>last run</dt><dd>${t(a.lastRun)}</dd>
<dt>last commit</dt><dd>${a.lastCommit ? `<code>${esc(a.lastCommit.sha.slice(0, 12))}</code> ${esc(a.lastCommit.subject)} · ${t(a.lastCommit.at)}` : '<span class="muted">none by this process yet</span>'}</dd>
${a.pullRequest ? `<dt>review</dt><dd><a href="${esc(a.pullRequest.url)}">#${a.pullRequest.number}</a> (${esc(a.pullRequest.action)}) ${esc(a.pullRequest.url)}</dd>` : ''}</dl>`;
  const error = a.error ? `<div class="box"><strong>failing since ${t(a.failingSince)}:</strong> <span class="error">${esc(a.error)}</span></div>` : '';
  const unpushed = a.unpushed
    ? `<div class="box"><strong>Cannot push</strong> (since ${t(a.unpushed.since)}): ${a.unpushed.reason === a.error ? 'for the reason above' : esc(a.unpushed.reason)}<ul>${a.unpushed.changes.map((c) => `<li>${change(c)}</li>`).join('')}</ul></div>`
    : '';
  const held = a.heldBack.length
    ? `<p><strong>Held back</strong> (a revert on the branch keeps these out):</p><ul>${a.heldBack.map((h) => `<li>${esc(h.policy)}: <code>${esc(h.tag)}</code> — commit <code>${esc(h.commit.slice(0, 12))}</code> was reverted by <code>${esc(h.revertedBy.slice(0, 12))}</code></li>`).join('')}</ul>`
    : '';
  const changes = a.changes.length && !a.unpushed
    ? `<p><strong>Last run wrote</strong>:</p><ul>${a.changes.map((c) => `<li>${change(c)}</li>`).join('')}</ul>`
    : '';
  const problems = a.problems.length
    ? `<p><strong>Problems in the files</strong>:</p><ul class="error">${a.problems.map((p) => `<li><code>${esc(p.file)}${p.line > 0 ? `:${p.line}` : ''}</code> ${esc(p.message)}</li>`).join('')}</ul>`
    : '';
  const fields = a.head
    ? `<p><strong>Marked fields</strong> <span class="muted">at <code>${esc(a.head.slice(0, 12))}</code></span></p>${table(
        ['file', 'policy', 'field', 'in Git', 'pick', ''],
        a.fields.map(
          (f) =>
            `<tr><td><code>${esc(f.file)}:${f.line}</code></td><td>${esc(f.policy)}</td><td>${esc(f.field)}</td><td><code>${esc(f.value)}</code></td><td>${f.pick === null ? '<span class="muted">none</span>' : `<code>${esc(f.pick)}</code>`}</td><td>${badge(f.state)}</td></tr>`,
        ),
        'no marked fields under these paths',
      )}`
    : '<p class="muted">The branch has not been read yet.</p>';
  const commits = a.recentCommits.length
    ? `<p><strong>Recent commits on <code>${esc(a.git.branch)}</code></strong></p>${table(
        ['commit', 'subject', 'time'],
        a.recentCommits.map((c) => `<tr><td><code>${esc(c.sha.slice(0, 12))}</code></td><td>${esc(c.subject)}</td><td>${t(c.at)}</td></tr>`),
      )}`
    : '';
  return `<section class="card" id="automation-${esc(a.name)}"><h3>${esc(a.name)} ${badge(label)}</h3>
${git}${error}${unpushed}${held}${changes}${problems}${fields}${commits}</section>`;
}

function policyRow(p: Policy, t: Time): string {
  const { rule, explanation: e } = p;
  const ruleText = [
    `${rule.kind} <code>${esc(rule.value)}</code>`,
    rule.filter ? `filter <code>${esc(rule.filter)}</code>` : '',
    rule.extract ? `extract <code>${esc(rule.extract)}</code>` : '',
    rule.digest ? 'pins digests' : '',
  ].filter(Boolean);
  const pick = p.latest
    ? `<code>${esc(p.latest.tag)}</code>${p.latest.digest ? `<br><code class="muted">${esc(p.latest.digest)}</code>` : ''}`
    : '<span class="muted">none</span>';
  const why: string[] = [];
  if (e.candidates !== null) why.push(`${e.candidates} candidate${e.candidates === 1 ? '' : 's'} of ${p.stats?.seen ?? 0} tags`);
  for (const s of e.skipped) why.push(`${s.count} skipped: ${esc(s.why)}`);
  for (const h of e.heldBack) why.push(`<code>${esc(h.tag)}</code> held back in ${esc(h.automation)} (reverted by <code>${esc(h.revertedBy.slice(0, 12))}</code>)`);
  for (const s of p.skipped.slice(0, SKIPPED_SHOWN)) why.push(`<code>${esc(s.tag)}</code> not signed: ${esc(s.reason)}`);
  if (p.promotion) {
    why.push(`promoted from ${esc(p.promotion.from)} after ${duration(p.promotion.soakMs / 1000)} there`);
    for (const w of p.promotion.explanations) why.push(`waiting for promotion: <code>${esc(w)}</code>`);
    for (const d of p.promotion.declined) why.push(`<code>${esc(d.tag)}</code> not promoted: review <a href="${esc(d.url)}">#${d.review}</a> was closed without merging`);
  }
  if (p.error) why.push(`<span class="error">${esc(p.error)}</span>${p.failingSince ? ` <span class="muted">since ${t(p.failingSince)}</span>` : ''}`);
  if (e.candidates === null && !p.error) why.push('<span class="muted">not evaluated yet</span>');
  return `<tr><td>${esc(p.name)}<br><span class="muted">image ${esc(p.image)}</span></td><td>${ruleText.join('<br>')}</td><td>${pick}</td><td><ul>${why.map((w) => `<li>${w}</li>`).join('')}</ul></td></tr>`;
}

function imageRow(i: Image, t: Time): string {
  const interval = i.intervalMs === 0 ? 'webhooks only' : duration(i.intervalMs / 1000);
  const webhook = i.lastWebhook ? `${t(i.lastWebhook.at)}<br><span class="muted">via ${esc(i.lastWebhook.webhook)}</span>` : '<span class="muted">none</span>';
  const next = i.intervalMs === 0 ? '<span class="muted">on webhook</span>' : t(i.nextScan, 'not scheduled');
  const error = i.error ? `<span class="error">${esc(i.error)}</span><br><span class="muted">since ${t(i.failingSince)}</span>` : '';
  return `<tr><td>${esc(i.name)}</td><td><code>${esc(i.repository)}</code></td><td>${interval}</td><td>${t(i.lastScan)}</td><td>${next}</td><td>${webhook}</td><td>${i.tagCount}${i.excluded ? ` <span class="muted">(${i.excluded} excluded)</span>` : ''}</td><td>${error}</td></tr>`;
}

function change(c: Automation['changes'][number]): string {
  return `${esc(c.policy)}: <code>${esc(c.repository)}</code> ${esc(c.from)} → <strong>${esc(c.to)}</strong> <span class="muted">(${esc(c.file)}:${c.line}, ${esc(c.field)})</span>`;
}

function badge(text: string): string {
  return `<span class="badge b-${text.replace(/ /g, '-')}">${esc(text)}</span>`;
}

function table(headers: string[], rows: string[], none = 'none configured'): string {
  if (rows.length === 0) return `<p class="muted">${none}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** A timestamp people can read, with its age beside it; the ISO form stays in the markup. */
function timestamp(iso: string | null, now: Date, none: string): string {
  if (!iso) return `<span class="muted">${esc(none)}</span>`;
  return `<time datetime="${esc(iso)}">${esc(clock(iso))}</time> <span class="muted">(${esc(relativeAge(new Date(iso), now))})</span>`;
}

function clock(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** `5 min ago`, `in 2 h`, `just now`. */
export function relativeAge(at: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  if (Math.abs(seconds) < 5) return 'just now';
  const span = duration(Math.abs(seconds));
  return seconds > 0 ? `${span} ago` : `in ${span}`;
}

/** `42 s`, `5 min`, `3 h 20 min`, `2 days`. */
function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
  }
  const d = Math.floor(s / 86_400);
  return `${d} day${d === 1 ? '' : 's'}`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

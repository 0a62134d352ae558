"""The inline CSS and JavaScript of the HTML timetable (kept apart so ``html.py`` stays readable).

The script reads the JSON embedded by ``html.py`` (id ``tt-data``), indexes sessions per batch, faculty
and room once, and draws one week grid at a time. It writes text with ``textContent`` only, never
``innerHTML``, so names from the data cannot inject markup.
"""

from __future__ import annotations

CSS = """
:root{--line:#c8ccd2;--muted:#5b6470;--bad:#b42318;--good:#067647;--brk:#eef0f3}
*{box-sizing:border-box}
body{font:14px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;
 background:#fff}
header,main{padding:12px 16px}
header{border-bottom:1px solid var(--line);background:#f7f8fa}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:17px;margin:4px 0 8px}
.counts,.meta{color:var(--muted);margin:2px 0}
.counts span,.meta span{margin-right:14px;white-space:nowrap}
.verdict{margin:4px 0 0}
.hint{color:var(--muted);font-size:12px}
a.jump{font-size:13px}
.report{margin-top:24px;border-top:1px solid var(--line);padding-top:8px}
table.rep{border-collapse:collapse;font-size:13px;margin:8px 0 14px;max-width:100%}
table.rep caption{text-align:left;font-weight:600;padding:2px 0 4px}
table.rep th,table.rep td{padding:3px 10px 3px 0;text-align:left;vertical-align:top;
 border-bottom:1px solid var(--brk)}
table.rep td:nth-child(2),table.rep td:nth-child(3){white-space:nowrap}
.report .meta span{margin-right:12px}
details.offenders{margin:8px 0;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
details.offenders>summary{font-weight:600;cursor:pointer}
.offenders .cols{display:flex;flex-wrap:wrap;gap:8px 32px}
.offenders .cols>div{flex:1 1 420px;min-width:0}
.offenders h3{font-size:14px;margin:10px 0 4px}
.offenders ul{margin:2px 0 6px;padding-left:20px}
.offenders details summary{cursor:pointer}
details.more>summary{color:#1d4ed8}
.ok{color:var(--good);font-weight:600}.bad{color:var(--bad);font-weight:600}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:10px}
.controls select,.controls input{font:inherit;padding:4px 6px;max-width:100%}
#tt-entity{min-width:16em}
#tt-count{color:var(--muted);font-size:12px}
.summary{color:var(--muted);margin:0 0 8px}
.wrap{overflow-x:auto}
table.week{border-collapse:collapse;width:100%;table-layout:fixed;min-width:560px}
.week th,.week td{border:1px solid var(--line);padding:3px;vertical-align:top}
.week thead th{background:#f1f3f6}
.week th.time{width:86px;text-align:left;font-weight:normal;background:#f7f8fa}
.week th.time b{display:block}
.week th.time small{color:var(--muted)}
.week tr.brk th,.week tr.brk td{background:var(--brk);color:var(--muted);font-size:12px;padding:1px 3px;
 text-align:center;border-style:dashed}
.s{border-radius:4px;padding:3px 5px;margin:0 0 3px;border-left:4px solid rgba(0,0,0,.35);
 -webkit-print-color-adjust:exact;print-color-adjust:exact;overflow-wrap:anywhere}
.s:last-child{margin-bottom:0}
.s b{display:block}
.s .nm{display:block}
.s .d{display:block;color:#333;font-size:12px}
td.clash{outline:2px solid var(--bad);outline-offset:-2px}
td.clash::before{content:"\\26A0 overlap";color:var(--bad);font-size:11px;display:block}
@media (max-width:640px){
 body{font-size:13px}header,main{padding:8px}
 .week th.time{width:58px}
 .s{padding:2px 3px}.s .nm{display:none}
 #tt-entity{min-width:0;width:100%}
}
@media print{
 @page{size:landscape;margin:10mm}
 body{font-size:10px}
 .controls,.offenders,a.jump,.hint,noscript{display:none}
 .report{page-break-before:always;border:0}
 table.rep{font-size:9px}
 header{background:none;border:0;padding:0}
 main{padding:0}
 .wrap{overflow:visible}
 table.week{min-width:0}
 .week tr{page-break-inside:avoid}
}
"""

JS = r"""
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("tt-data").textContent);
  const LISTS = {batch: D.batches, faculty: D.faculty, room: D.rooms};
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  const label = (x) => x[2] || (x[1] && x[1] !== x[0] ? x[1] + " (" + x[0] + ")" : x[0]);
  const TITLES = {batch: "Batch", faculty: "Faculty", room: "Room", student: "Student"};
  const short = (x) => x[1] || x[0];

  // sessions of every batch, faculty member and room, indexed once
  const index = {
    batch: D.batches.map(() => []), faculty: D.faculty.map(() => []), room: D.rooms.map(() => []),
  };
  D.sessions.forEach((s) => {
    const c = D.courses[s[0]];
    c[3].forEach((f) => index.faculty[f].push(s));
    c[4].forEach((b) => index.batch[b].push(s));
    if (s[4] >= 0) index.room[s[4]].push(s);
  });

  // students, when embedded: [id, batch index or -1, [course index]]; their sessions are found on demand
  const byCourse = D.courses.map(() => []);
  if (D.students) {
    D.sessions.forEach((s) => byCourse[s[0]].push(s));
    LISTS.student = D.students.map((s) => [s[0], "", s[1] >= 0 ? s[0] + " (" + D.batches[s[1]][0] + ")" : s[0]]);
    index.student = [];
  }
  function sessionsOf(kind, i) {
    if (kind !== "student" || !D.students || index.student[i]) return (index[kind] || [])[i];
    const st = D.students[i];
    if (!st) return undefined;
    const mine = new Set(st[1] >= 0 ? index.batch[st[1]] : []);
    st[2].forEach((c) => byCourse[c].forEach((s) => mine.add(s)));
    return (index.student[i] = Array.from(mine));
  }

  // table rows: one per period, plus one per break after its period
  const rows = [], rowOf = [];
  const breakAfter = new Map(D.breaks.map((b) => [b[0], b[1]]));
  D.periods.forEach((p, i) => {
    rowOf[i] = rows.length;
    rows.push({period: i});
    if (breakAfter.has(i)) rows.push({brk: breakAfter.get(i)});
  });

  function hue(s) {
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
    return h % 360;
  }

  // per day, overlapping sessions merged into blocks that each become one (row-spanning) cell
  function blocks(list) {
    const byDay = D.days.map(() => []);
    list.forEach((s) => byDay[s[1]].push(s));
    return byDay.map((ss) => {
      ss.sort((a, b) => a[2] - b[2] || b[3] - a[3] || a[0] - b[0]);
      const out = [];
      let cur = null;
      ss.forEach((s) => {
        const end = s[2] + s[3];
        if (cur && s[2] < cur.end) { cur.items.push(s); cur.end = Math.max(cur.end, end); }
        else { cur = {start: s[2], end: end, items: [s]}; out.push(cur); }
      });
      return out;
    });
  }

  function sessionBox(s, kind, timed) {
    const c = D.courses[s[0]];
    const box = el("div", "s");
    box.style.background = "hsl(" + hue(c[0]) + ",70%,90%)";
    box.appendChild(el("b", null, c[1] || c[0]));
    if (c[2]) box.appendChild(el("span", "nm", c[2]));
    const line = (text) => box.appendChild(el("span", "d", text));
    if (timed || s[3] > 1) line(D.periods[s[2]][1] + "\u2013" + D.periods[s[2] + s[3] - 1][2]);
    if (c[3].length) line(c[3].map((f) => short(D.faculty[f])).join(", "));
    if (s[4] >= 0 && kind !== "room") line("Room " + short(D.rooms[s[4]]));
    if ((kind === "faculty" || kind === "room") && c[4].length) line(c[4].map((b) => short(D.batches[b])).join(", "));
    box.title = [c[1], c[2]].filter(Boolean).join(" \u2013 ") + " (" + c[0] + ", session " + (s[5] + 1) + ")";
    return box;
  }

  function drawGrid(kind, i) {
    const out = $("tt-grid");
    out.replaceChildren();
    const list = sessionsOf(kind, i);
    if (!list) { out.appendChild(el("p", "summary", "Nothing to show.")); return; }
    const ent = LISTS[kind][i];
    $("tt-title").textContent = TITLES[kind] + ": " + label(ent);
    const periods = list.reduce((n, s) => n + s[3], 0);
    out.appendChild(el("p", "summary", list.length + " session(s), " + periods + " period(s) a week"));
    const table = el("table", "week"), head = el("tr");
    head.appendChild(el("th", "time", "Time"));
    D.days.forEach((d) => head.appendChild(el("th", null, d)));
    table.appendChild(el("thead")).appendChild(head);
    const body = el("tbody"), byDay = blocks(list), covered = D.days.map(() => 0), next = D.days.map(() => 0);
    rows.forEach((row, r) => {
      const tr = el("tr", row.brk !== undefined ? "brk" : null);
      if (row.brk !== undefined) tr.appendChild(el("th", "time", row.brk));
      else {
        const p = D.periods[row.period], th = el("th", "time");
        th.appendChild(el("b", null, p[0]));
        th.appendChild(el("small", null, p[1] + "\u2013" + p[2]));
        tr.appendChild(th);
      }
      D.days.forEach((_, d) => {
        if (covered[d] > r) return;
        const b = byDay[d][next[d]];
        if (b && row.period !== undefined && rowOf[b.start] === r) {
          const span = rowOf[b.end - 1] - r + 1, td = el("td", b.items.length > 1 ? "clash" : null);
          if (span > 1) td.rowSpan = span;
          b.items.forEach((s) => td.appendChild(sessionBox(s, kind, b.items.length > 1)));
          tr.appendChild(td);
          covered[d] = r + span;
          next[d] += 1;
        } else tr.appendChild(el("td", null, row.brk !== undefined ? "" : null));
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    const wrap = el("div", "wrap");
    wrap.appendChild(table);
    out.appendChild(wrap);
  }

  const kindSel = $("tt-kind"), entSel = $("tt-entity"), search = $("tt-search");

  function fillEntities(keep) {
    const kind = kindSel.value, q = search.value.trim().toLowerCase(), list = LISTS[kind];
    entSel.replaceChildren();
    let shown = 0;
    list.forEach((x, i) => {
      const text = label(x);
      if (q && text.toLowerCase().indexOf(q) < 0) return;
      const o = el("option", null, text);
      o.value = String(i);
      entSel.appendChild(o);
      shown += 1;
    });
    $("tt-count").textContent = shown + " of " + list.length;
    if (keep !== undefined && entSel.querySelector('option[value="' + keep + '"]')) {
      entSel.value = String(keep);
    }
    show();
  }

  function show() {
    const kind = kindSel.value, i = entSel.value;
    if (i === "") {
      $("tt-title").textContent = "";
      $("tt-grid").replaceChildren(el("p", "summary", "No " + kind + " matches."));
      return;
    }
    drawGrid(kind, Number(i));
    const id = LISTS[kind][Number(i)][0];
    history.replaceState(null, "", "#" + kind + "/" + encodeURIComponent(id));
  }

  kindSel.addEventListener("change", () => { search.value = ""; fillEntities(); });
  search.addEventListener("input", () => fillEntities(entSel.value));
  entSel.addEventListener("change", show);

  // open the timetable named in the address (#faculty/F12), else the first batch
  const m = /^#(batch|faculty|room|student)\/(.*)$/.exec(location.hash);
  let start;
  if (m && LISTS[m[1]]) {
    kindSel.value = m[1];
    const id = decodeURIComponent(m[2]);
    start = LISTS[m[1]].findIndex((x) => x[0] === id);
  } else if (!D.batches.length) {
    kindSel.value = D.faculty.length ? "faculty" : "room";
  }
  fillEntities(start !== undefined && start >= 0 ? start : undefined);
})();
"""

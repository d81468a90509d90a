// The console's live parts: dashboard figures and the sorting-line screens,
// fed by server-sent events. Plain JavaScript, no build step.
(function () {
  "use strict";
  var figures = document.getElementById("figures");
  if (figures) {
    setInterval(function () {
      fetch(figures.dataset.live, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
        if (!d) return;
        figures.querySelectorAll("[data-k]").forEach(function (b) { if (d[b.dataset.k] !== undefined) b.textContent = d[b.dataset.k]; });
      });
    }, 5000);
  }
  var table = document.getElementById("parcels");
  if (!table) return;
  var line = table.dataset.line, side = table.dataset.side, xray = table.dataset.xray, words = JSON.parse(table.dataset.t || "{}");
  var t = function (k) { return words[k] || k; };
  var rows = {};
  function el(tag, text, cls) { var e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) alert((j.error && j.error.message) || r.status); return j; }); });
  }
  // A scan's image: an absolute URL as it is, otherwise resolved against the
  // X-ray machines' image source (the page's CSP allows images from there only).
  function imageSrc(ref) {
    if (!ref) return "";
    if (/^https?:\/\//.test(ref)) return ref;
    if (xray) { try { return new URL(ref, xray).href; } catch (e) { return ""; } }
    return /^\/[^\/]/.test(ref) ? ref : "";
  }
  function finding(f) { return f ? (t(f.result) + (f.status ? " " + f.status : "") + (f.note ? " · " + f.note : "") + " (" + f.by + ")") : ""; }
  function render(p) {
    var tr = rows[p.id];
    if (!tr) {
      tr = el("tr"); tr.id = "p-" + p.id; rows[p.id] = tr;
      var first = table.rows[1];
      if (first) table.tBodies[0].insertBefore(tr, first); else table.tBodies[0].appendChild(tr);
    }
    tr.innerHTML = "";
    tr.className = (p.divert === "inspect" ? "inspect" : "") + (p.outcome ? " decided" : "");
    var s = p.summary;
    var c1 = el("td"); c1.appendChild(el("b", p.logisticsNo)); if (s) { c1.appendChild(el("br")); c1.appendChild(el("span", s.copNo + " ", "")); c1.appendChild(el("span", s.status, "st st" + s.status)); }
    tr.appendChild(c1);
    tr.appendChild(el("td", s ? (s.goods || []).join("; ") + " · ¥" + s.value : "—"));
    tr.appendChild(el("td", s && s.riskHits.length ? s.riskHits.join("; ") : "—"));
    var img = el("td");
    var src = imageSrc(p.imageRef);
    if (src) { var i = el("img"); i.src = src; i.alt = p.imageRef; img.appendChild(i); } else img.textContent = p.imageRef || "—";
    tr.appendChild(img);
    var mine = side === "customs" ? p.customsMark : side === "inspection" ? p.inspectionMark : "x";
    var mk = el("td", [p.customsMark ? t("customs") + ": " + p.customsMark : "", p.inspectionMark ? t("inspection") + ": " + p.inspectionMark : ""].filter(Boolean).join(" / "), "marks");
    if (!mine && !p.outcome) {
      var b = el("button", t("mark"), "markbtn");
      b.onclick = function () { post("/console/officer/parcels/" + p.id + "/mark", {note: ""}); };
      mk.appendChild(b);
    }
    tr.appendChild(mk);
    tr.appendChild(el("td", t(p.divert), "divert"));
    var fd = el("td", [p.customsFinding ? t("customs") + ": " + finding(p.customsFinding) : "", p.inspectionFinding ? t("inspection") + ": " + finding(p.inspectionFinding) : ""].filter(Boolean).join(" / "), "findings");
    var myFinding = side === "customs" ? p.customsFinding : p.inspectionFinding;
    if (mine && side && !myFinding && !p.outcome) {
      var f = el("form", "", "findingform");
      var sel = el("select"); sel.name = "result";
      ["release", "return", "detain"].forEach(function (r) { var o = el("option", t(r)); o.value = r; sel.appendChild(o); });
      // The detention code, labelled, only while the result is a detention.
      var st = el("select", "", "statussel"); st.name = "status"; st.id = "st-" + p.id;
      ["501", "502", "503", "599"].forEach(function (r) { var o = el("option", r + " " + t("st" + r)); o.value = r; st.appendChild(o); });
      var stl = el("label", t("detention_code"), "statuslabel"); stl.htmlFor = st.id;
      var showCode = function () { stl.hidden = st.hidden = sel.value !== "detain"; };
      sel.onchange = showCode; showCode();
      var note = el("input"); note.name = "note"; note.placeholder = t("note");
      var go = el("button", t("record"), "recordbtn");
      f.appendChild(sel); f.appendChild(stl); f.appendChild(st); f.appendChild(note); f.appendChild(go);
      f.onsubmit = function (e) { e.preventDefault(); post("/console/officer/parcels/" + p.id + "/finding", {result: sel.value, status: sel.value === "detain" ? st.value : "", note: note.value}); };
      fd.appendChild(f);
    } else if (myFinding && !p.outcome) {
      fd.appendChild(el("div", t("waiting_other"), "hint"));
    }
    tr.appendChild(fd);
    tr.appendChild(el("td", p.outcome || "", "outcome"));
  }
  var initial = JSON.parse(document.getElementById("initial").textContent || "[]") || [];
  initial.reverse().forEach(render);
  var live = document.getElementById("live");
  var es = new EventSource("/console/officer/lines/" + line + "/events");
  es.onopen = function () { live.className = "livebadge"; };
  es.onerror = function () { live.className = "livebadge off"; };
  es.addEventListener("ended", function () { es.close(); live.className = "livebadge off"; location.href = "/console/officer/login"; });
  es.onmessage = function (m) { var ev = JSON.parse(m.data); if (ev.parcel) render(ev.parcel); };
})();

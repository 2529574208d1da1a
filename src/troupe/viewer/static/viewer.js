/* troupe replay page.
 *
 * Reads the JSON object in #troupe-data (header, graphs, events as columns) or,
 * in the live view, streams batches of the same columns from an EventSource.
 *
 * Events go into one append-only store. A View narrows it to the selected
 * session (or all of them) and keeps flat arrays: messages matched from their
 * two ends, state changes with count snapshots every CHECK changes (so the
 * roles' states at any time are a snapshot plus at most CHECK steps), failures,
 * and the rows of the sequence diagram. Each animation frame looks up what is
 * in flight by binary search, draws at most MAX_DOTS dots on a canvas (the rest
 * is aggregated per pair of roles) and only the visible rows of the sequence
 * diagram, so big traces stay smooth.
 *
 * window.troupeViewer exposes the state and a few controls, for tests.
 */
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("troupe-data").textContent);
  const H = DATA.header;
  const ROLES = H.roles;
  const R = ROLES.length;
  const STATES = H.states;
  const S = STATES.length;
  const EXIT = S - 1;
  const K = { enter: 0, send: 1, receive: 2, notify: 3, notified: 4, exit: 5, fail: 6 };
  const MAX_DOTS = 250;          // dots drawn at once; beyond, sample and aggregate per pair
  const MAX_LABELS = 12;         // branch labels drawn at once
  const MIN_VISIBLE = 0.45;      // seconds of replay a message stays visible at least
  const CHECK = 1024;            // state changes between count snapshots
  const MAX_LONG = 4096;         // long or pending messages checked every frame
  const ROW_H = 22;              // sequence diagram row height (px)
  const SEQ_HEAD = 30;           // sequence diagram header height (px)
  const SEQ_LEFT = 70;           // sequence diagram time column (px)
  const MAX_OPTIONS = 500;       // sessions listed in the selector
  const SPEEDS = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16, 32, 64, 256, 1024, 4096];
  const COLOURS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#db2777",
                   "#65a30d", "#b45309", "#4f46e5", "#0d9488"];
  const NOTE = "#d97706";
  const FAIL = "#dc2626";
  const $ = (id) => document.getElementById(id);
  const roleColour = (r) => COLOURS[r % COLOURS.length];
  const stateName = (s) => (s >= 0 && s < S ? STATES[s].name : "-");

  function upperBound(a, x) {      // first index with a[i] > x
    let lo = 0, hi = a.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (a[mid] <= x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function lowerBound(a, x) {      // first index with a[i] >= x
    let lo = 0, hi = a.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (a[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  }

  // -- the event store: every event of every session, append-only ---------------------
  const E = { t: [], s: [], r: [], k: [], st: [], b: [], p: [] };
  let nEvents = 0;
  const strings = [];
  const stringIndex = new Map();
  const sessions = new Map();      // id -> {id, events, messages, start, end, failed}
  let sessionsDirty = true;

  function intern(text) {
    let n = stringIndex.get(text);
    if (n === undefined) { n = strings.length; strings.push(text); stringIndex.set(text, n); }
    return n;
  }

  function ingest(batch, toView) {
    const n = batch.t.length;
    if (!n) return;
    const base = nEvents;
    const map = (batch.strings || []).map(intern);
    for (let i = 0; i < n; i++) {
      const t = batch.t[i], s = batch.s[i], k = batch.k[i], b = batch.b[i];
      E.t.push(t); E.s.push(s); E.r.push(batch.r[i]); E.k.push(k); E.st.push(batch.st[i]);
      E.b.push(b < 0 ? -1 : map[b]); E.p.push(batch.p[i]);
      let info = sessions.get(s);
      if (info === undefined) {
        info = { id: s, events: 0, messages: 0, start: t, end: t, failed: false };
        sessions.set(s, info);
        sessionsDirty = true;
      }
      info.events++;
      if (t > info.end) info.end = t;
      if (k === K.send || k === K.notify) info.messages++;
      if (k === K.fail && !info.failed) { info.failed = true; sessionsDirty = true; }
    }
    nEvents += n;
    if (toView === false) return;
    if (view.sel === null && nEvents) view.sel = E.s[base];
    view.addRange(base, nEvents);
  }

  // -- a view: the store narrowed to one session, or all ------------------------------
  class View {
    constructor(sel) {
      this.sel = sel;              // a session id, "all", or null (the first one seen)
      this.n = 0;
      this.t0 = Infinity; this.t1 = -Infinity; this.lastT = -Infinity;
      // messages, in the order of their first end (= start time)
      this.mS = []; this.mE = []; this.mSent = []; this.mRecv = [];
      this.mFrom = []; this.mTo = []; this.mLab = []; this.mNote = []; this.mSess = [];
      this.mState = []; this.mDone = [];
      this.waiting = new Map();
      this.longIx = [];            // pending or long messages: checked every frame
      this.longCut = -1;           // a done message longer than this is "long"
      this.closed = DATA.live === null;   // no more events will come
      // state changes and count snapshots
      this.cT = []; this.cR = []; this.cFrom = []; this.cTo = [];
      this.at = new Map();
      this.tail = new Int32Array(R * S);
      this.snaps = [];
      this.cache = new Int32Array(R * S); this.cacheIdx = 0;
      this.fails = [];
      // sequence diagram rows: a message (kind 0) or a failure (kind 1)
      this.rowT = []; this.rowK = []; this.rowI = [];
      this.version = 0;
    }
    accepts(s) { return this.sel === "all" || this.sel === s; }
    addRange(a, b) {
      for (let i = a; i < b; i++) if (this.accepts(E.s[i])) this.add(i);
      this.version++;
    }
    add(i) {
      let t = E.t[i];
      if (t < this.lastT) t = this.lastT;   // live batches may be a hair out of order
      this.lastT = t;
      if (t < this.t0) this.t0 = t;
      if (t > this.t1) this.t1 = t;
      this.n++;
      const k = E.k[i], r = E.r[i], s = E.s[i];
      if (k === K.enter || k === K.exit) {
        const to = k === K.exit ? EXIT : E.st[i];
        if (to < 0) return;
        const key = s * R + r;
        const from = this.at.has(key) ? this.at.get(key) : -1;
        if (from === to) return;
        this.at.set(key, to);
        if (this.cT.length % CHECK === 0) this.snaps.push(this.tail.slice());
        this.cT.push(t); this.cR.push(r); this.cFrom.push(from); this.cTo.push(to);
        if (from >= 0) this.tail[r * S + from]--;
        this.tail[r * S + to]++;
        return;
      }
      if (k === K.fail) {
        this.fails.push({ t: t, session: s, role: r, state: E.st[i],
                          error: E.b[i] >= 0 ? strings[E.b[i]] : "failed" });
        this.rowT.push(t); this.rowK.push(1); this.rowI.push(this.fails.length - 1);
        return;
      }
      const p = E.p[i];
      if (p < 0) return;
      const first = k === K.send || k === K.notify;
      const note = k === K.notify || k === K.notified;
      const from = first ? r : p, to = first ? p : r;
      const lab = note ? -1 : E.b[i];
      const key = s + "|" + from + "|" + to + "|" + E.st[i] + "|" + lab + "|" + (note ? 1 : 0);
      const theirs = key + (first ? "|r" : "|s");
      const q = this.waiting.get(theirs);
      if (q !== undefined) {
        const m = q.shift();
        if (!q.length) this.waiting.delete(theirs);
        if (first) this.mSent[m] = t; else this.mRecv[m] = t;
        this.mE[m] = t; this.mDone[m] = 1;
        return;
      }
      const m = this.mS.length;
      this.mS.push(t); this.mE.push(t);
      this.mSent.push(first ? t : NaN); this.mRecv.push(first ? NaN : t);
      this.mFrom.push(from); this.mTo.push(to); this.mLab.push(lab); this.mNote.push(note ? 1 : 0);
      this.mSess.push(s); this.mState.push(E.st[i]); this.mDone.push(0);
      const mine = key + (first ? "|s" : "|r");
      const w = this.waiting.get(mine);
      if (w === undefined) this.waiting.set(mine, [m]); else w.push(m);
      this.longIx.push(m);
      if (this.longIx.length > 2 * MAX_LONG) this.compactLong();
      this.rowT.push(t); this.rowK.push(0); this.rowI.push(m);
    }
    isLong(m) { return (!this.mDone[m] && !this.closed) || this.mE[m] - this.mS[m] > this.longCut; }
    compactLong() {
      let kept = this.longIx.filter((m) => this.isLong(m));
      while (kept.length > MAX_LONG) {
        const d = kept.filter((m) => this.mDone[m]).map((m) => this.mE[m] - this.mS[m]);
        d.sort((a, b) => a - b);
        const median = d.length ? d[d.length >> 1] : 0;
        const cut = Math.max(this.longCut < 0 ? 0 : this.longCut * 2, median, 1e-9);
        if (cut === this.longCut) break;
        this.longCut = cut;
        kept = kept.filter((m) => this.isLong(m));
      }
      this.longIx = kept;
    }
    close() { this.closed = true; this.compactLong(); this.version++; }
    get messages() { return this.mS.length; }
    get empty() { return this.n === 0; }
    get start() { return this.empty ? 0 : this.t0; }
    get end() { return this.empty ? 0 : this.t1; }

    // Roles' state counts at time T (cache moves forward cheaply; else from a snapshot).
    countsAt(T) {
      const idx = upperBound(this.cT, T);
      if (!(idx >= this.cacheIdx && idx - this.cacheIdx <= CHECK)) {
        let j = Math.floor(idx / CHECK);
        if (j >= this.snaps.length) j = this.snaps.length - 1;
        if (j < 0) { this.cache.fill(0); this.cacheIdx = 0; }
        else { this.cache.set(this.snaps[j]); this.cacheIdx = j * CHECK; }
      }
      const c = this.cache;
      for (let n = this.cacheIdx; n < idx; n++) {
        const r = this.cR[n], f = this.cFrom[n];
        if (f >= 0) c[r * S + f]--;
        c[r * S + this.cTo[n]]++;
      }
      this.cacheIdx = idx;
      return c;
    }

    // Messages visible at T: start <= T < max(end, start + minDur); pending ones hold.
    active(T, minDur, out) {
      out.length = 0;
      const W = Math.max(minDur, this.longCut);
      const hi = upperBound(this.mS, T);
      let lo = lowerBound(this.mS, T - W);
      const step = hi - lo > 200000 ? Math.ceil((hi - lo) / 200000) : 1;
      for (let m = lo; m < hi; m += step) {
        if (this.isLong(m)) continue;
        if (T < Math.max(this.mE[m], this.mS[m] + minDur)) out.push(m);
      }
      for (const m of this.longIx) {
        if (this.mS[m] > T) continue;
        if (!this.isLong(m)) continue;
        if (!this.mDone[m] && !this.closed) { out.push(m); continue; }
        if (T < Math.max(this.mE[m], this.mS[m] + minDur)) out.push(m);
      }
      return out;
    }
    progress(m, T, minDur) {
      if (!this.mDone[m] && !this.closed) return Math.min(0.85, (T - this.mS[m]) / Math.max(minDur, 1e-12));
      const end = Math.max(this.mE[m], this.mS[m] + minDur);
      return end > this.mS[m] ? Math.min(1, Math.max(0, (T - this.mS[m]) / (end - this.mS[m]))) : 1;
    }
    failedAt(T) {                  // per role: failures at or before T
      const out = new Int32Array(R);
      for (const f of this.fails) if (f.t <= T) out[f.role]++;
      return out;
    }
  }

  // -- state ----------------------------------------------------------------------
  const live = DATA.live ? { connected: false, done: false, ok: null, error: null, batches: 0 } : null;
  let view = new View(DATA.session === undefined ? null : DATA.session);
  let T = 0;                       // current replay time (trace seconds)
  let playing = false;
  let following = !!live;          // live: track the newest events
  let speed = 1;
  let rate = 1;                    // trace seconds per replay second at speed 1
  let frames = 0;
  let lastNow = 0;
  let dirty = true;
  let lastDots = [];
  let drawn = { dots: 0, inFlight: 0, labels: 0, aggregated: 0 };
  let highlighted = {};
  let highlightedIds = {};
  let seqFollow = true;
  let graphKey = "";
  let lastGraphSig = "";
  let lastGraphUpdate = 0;
  let lastSessionsUpdate = 0;
  let scrubbing = false;

  // -- formatting -------------------------------------------------------------------
  function unitFor(span) {
    if (span < 1e-3) return [1e6, "µs", 1];
    if (span < 1) return [1e3, "ms", 3];
    return [1, "s", 3];
  }
  function fmtTime(t, span) {
    const [mul, unit, digits] = unitFor(span === undefined ? Math.abs(t) : span);
    return (t * mul).toFixed(digits) + " " + unit;
  }
  function fmtPrecise(t, span, step) {   // enough digits to tell rows `step` apart
    const [mul, unit] = unitFor(span);
    const digits = Math.min(6, Math.max(1, Math.ceil(-Math.log10(Math.max(step * mul, 1e-9))) + 1));
    return (t * mul).toFixed(digits) + " " + unit;
  }
  function fmtRate(x) {
    if (x >= 1) return x.toFixed(x >= 10 ? 0 : 2) + " s";
    if (x >= 1e-3) return (x * 1e3).toFixed(x >= 1e-2 ? 1 : 2) + " ms";
    return (x * 1e6).toFixed(1) + " µs";
  }
  function fmtSpeed(x) {
    return x >= 1 ? x + "×" : "1/" + Math.round(1 / x) + "×";
  }

  // -- setup ------------------------------------------------------------------------
  $("title").textContent = H.script;
  $("source").textContent = DATA.source ? DATA.source : "";
  for (const x of SPEEDS) {
    const o = document.createElement("option");
    o.value = String(x); o.textContent = fmtSpeed(x);
    if (x === 1) o.selected = true;
    $("speed").appendChild(o);
  }

  function baseRate() {
    if (live && !live.done) return 1;              // the live view runs in real time
    const span = view.end - view.start;
    const target = Math.min(3600, Math.max(6, view.messages * 0.5));
    return span > 0 ? span / target : 1;
  }

  function fillSessions() {
    const sel = $("session");
    const ids = Array.from(sessions.keys()).sort((a, b) => a - b);
    sel.textContent = "";
    const all = document.createElement("option");
    all.value = "all";
    all.textContent = "all sessions (" + ids.length.toLocaleString() + ", aggregated)";
    sel.appendChild(all);
    const listed = new Set(ids.slice(0, MAX_OPTIONS));
    for (const id of ids) if (sessions.get(id).failed) listed.add(id);
    if (view.sel !== "all" && view.sel !== null) listed.add(view.sel);
    for (const id of Array.from(listed).sort((a, b) => a - b)) {
      const info = sessions.get(id);
      if (!info) continue;
      const o = document.createElement("option");
      o.value = String(id);
      o.textContent = "session " + id + " · " + info.messages.toLocaleString() + " msgs" +
        (info.failed ? " · ✕ failed" : "");
      sel.appendChild(o);
    }
    sel.value = view.sel === null ? "all" : String(view.sel);
    $("session-id").hidden = ids.length <= MAX_OPTIONS;
    sessionsDirty = false;
  }

  function updateStatus() {
    const badge = $("status");
    let failed = 0;
    for (const info of sessions.values()) if (info.failed) failed++;
    badge.className = "badge";
    if (live && !live.done) {
      badge.classList.add("live");
      badge.textContent = live.connected ? "live · running" : "live · connecting";
    } else if (failed || (live && live.ok === false)) {
      badge.classList.add("failed");
      badge.textContent = (live ? "finished · " : "") + "FAILED" +
        (failed ? " · " + failed + (failed === 1 ? " session" : " sessions") : "");
    } else if (nEvents) {
      badge.classList.add("ok");
      badge.textContent = (live ? "finished · " : "") + "ok";
    } else {
      badge.textContent = live ? "waiting for events" : "empty trace";
    }
  }

  function updateFailures() {
    const card = $("failures-card"), list = $("failures");
    const fails = view.fails;
    card.hidden = fails.length === 0;
    list.textContent = "";
    const span = view.end;
    for (const f of fails.slice(0, 50)) {
      const li = document.createElement("li");
      li.dataset.session = String(f.session);
      li.dataset.role = ROLES[f.role];
      li.innerHTML = "";
      const head = document.createElement("span");
      head.textContent = "session " + f.session + " · " + ROLES[f.role] + " failed at " +
        stateName(f.state) + " (" + fmtTime(f.t, span) + "): ";
      const err = document.createElement("span");
      err.className = "err"; err.textContent = f.error;
      li.append(head, err);
      li.addEventListener("click", () => { seek(f.t); });
      list.appendChild(li);
    }
    if (fails.length > 50) {
      const li = document.createElement("li");
      li.textContent = "… " + (fails.length - 50) + " more";
      list.appendChild(li);
    }
  }

  function setView(sel) {
    const v = new View(sel);
    view = v;
    v.addRange(0, nEvents);
    if (!live || (live && live.done)) v.close();
    rate = baseRate();
    T = v.start;
    lastGraphSig = "";
    seqFollow = true;
    updateFailures();
    resizeSeq();
    drawActivity();
    fillSessions();
    dirty = true;
  }

  // -- the graph pane ---------------------------------------------------------------
  const graphKeys = ["", ...ROLES];
  const graphs = new Map();        // key -> {pane, svg, nodes: Map(id -> {g, box}), chips}
  function buildGraphs() {
    const box = $("graph"), select = $("graph-view");
    for (const key of graphKeys) {
      const pane = document.createElement("div");
      pane.className = "graph-pane";
      pane.dataset.graph = key || "global";
      pane.hidden = key !== "";
      box.appendChild(pane);
      graphs.set(key, { pane: pane, svg: null, nodes: new Map(), chips: null });
      const o = document.createElement("option");
      o.value = key; o.textContent = key ? "projection of " + key : "global graph";
      select.appendChild(o);
    }
    const svgs = DATA.graphs.svgs || {};
    if (Object.keys(svgs).length) {
      for (const key of graphKeys) mountGraph(key, svgs[key]);
      $("graph-note").textContent = "scroll: zoom · drag: pan · double-click: reset";
      return;
    }
    $("graph-note").textContent = "laid out in the browser · scroll: zoom · drag: pan";
    const dots = DATA.graphs.dots || {};
    if (typeof window.Viz === "undefined") {
      for (const key of graphKeys) graphs.get(key).pane.innerHTML =
        '<div class="placeholder">no layout engine in this page</div>';
      return;
    }
    for (const key of graphKeys) graphs.get(key).pane.innerHTML =
      '<div class="placeholder">laying out…</div>';
    window.Viz.instance().then((viz) => {
      for (const key of graphKeys) {
        try { mountGraph(key, viz.renderString(dots[key], { format: "svg" })); }
        catch (e) { graphs.get(key).pane.textContent = "layout failed: " + e; }
      }
      lastGraphSig = ""; dirty = true;
    });
  }
  function mountGraph(key, svgText) {
    const g = graphs.get(key);
    g.pane.innerHTML = svgText;
    const svg = g.pane.querySelector("svg");
    if (!svg) return;
    svg.removeAttribute("width"); svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const vb0 = svg.viewBox.baseVal;
    if (vb0 && vb0.width) {          // small graphs: not blown up past 1.7x
      svg.style.maxWidth = vb0.width * 1.7 + "px"; svg.style.maxHeight = vb0.height * 1.7 + "px";
    }
    for (const node of svg.querySelectorAll("g.node")) {
      const title = node.querySelector("title");
      const m = title && /^s(\d+)$/.exec(title.textContent.trim());
      if (!m) continue;
      const id = Number(m[1]);
      node.dataset.state = stateName(id);
      node.dataset.stateId = String(id);
      g.nodes.set(id, { g: node, box: null });
    }
    enableZoom(svg);
    const root = svg.querySelector("g.graph") || svg;
    const chips = document.createElementNS("http://www.w3.org/2000/svg", "g");
    chips.setAttribute("class", "chips");
    root.appendChild(chips);
    g.svg = svg; g.chips = chips;
  }
  function enableZoom(svg) {      // wheel zooms about the pointer, drag pans, double-click resets
    const vb = svg.viewBox.baseVal;
    if (!vb || !vb.width) return;
    const home = [vb.x, vb.y, vb.width, vb.height];
    const set = (x, y, w, h) => svg.setAttribute("viewBox", x + " " + y + " " + w + " " + h);
    const toGraph = (ev) => {
      const r = svg.getBoundingClientRect();
      const scale = Math.max(vb.width / r.width, vb.height / r.height);
      const ox = (r.width - vb.width / scale) / 2, oy = (r.height - vb.height / scale) / 2;
      return [vb.x + (ev.clientX - r.left - ox) * scale, vb.y + (ev.clientY - r.top - oy) * scale, scale];
    };
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const [gx, gy] = toGraph(ev);
      const f = Math.exp(ev.deltaY * 0.0015);
      const w = Math.min(home[2] * 4, Math.max(home[2] / 12, vb.width * f));
      const k = w / vb.width;
      set(gx - (gx - vb.x) * k, gy - (gy - vb.y) * k, w, vb.height * k);
    }, { passive: false });
    let drag = null;
    svg.addEventListener("pointerdown", (ev) => { drag = [ev.clientX, ev.clientY, vb.x, vb.y, toGraph(ev)[2]]; svg.setPointerCapture(ev.pointerId); });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      set(drag[2] - (ev.clientX - drag[0]) * drag[4], drag[3] - (ev.clientY - drag[1]) * drag[4], vb.width, vb.height);
    });
    svg.addEventListener("pointerup", () => { drag = null; });
    svg.addEventListener("dblclick", () => set(home[0], home[1], home[2], home[3]));
    svg.style.cursor = "grab";
  }
  function showGraph(key) {
    if (!graphs.has(key)) throw new Error("no graph " + JSON.stringify(key) + "; expected one of " + JSON.stringify(graphKeys));
    graphKey = key;
    for (const [k, g] of graphs) g.pane.hidden = k !== key;
    $("graph-view").value = key;
    lastGraphSig = "";
    updateLegend();
    dirty = true;
  }
  function updateLegend() {
    const el = $("legend");
    let html = "";
    ROLES.forEach((r, i) => {
      if (graphKey && graphKey !== r) return;
      html += '<span><span class="sw" style="background:' + roleColour(i) + '"></span>' + escapeHtml(r) + "</span>";
    });
    if (graphKey) {
      html += '<span><span class="box" style="border-width:2.5px;border-color:#111827"></span>SEND</span>' +
        '<span><span class="box"></span>RECEIVE</span>' +
        '<span><span class="box" style="border-color:#d1d5db"></span>SKIP</span>' +
        '<span><span class="box" style="border-style:dashed"></span>WAIT (dotted: notify)</span>';
    } else {
      html += "<span>dashed edge: leaves its protocol</span>";
    }
    html += '<span><span class="box" style="border-color:#f59e0b;border-width:2.5px"></span>current state</span>';
    el.innerHTML = html;
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  }

  function updateGraph(counts, failedRoles, now) {
    const g = graphs.get(graphKey);
    const roles = graphKey ? [ROLES.indexOf(graphKey)] : ROLES.map((_, i) => i);
    // highlighted: each role's (most populated) state
    const hi = {}, hiIds = {};
    let sig = graphKey + "|";
    const at = new Map();          // state -> [[role, count]]
    for (let r = 0; r < R; r++) {
      let best = -1, bestN = 0;
      for (let s = 0; s < S; s++) {
        const n = counts[r * S + s];
        if (n > 0) {
          if (n > bestN) { best = s; bestN = n; }
          if (roles.includes(r)) {
            let list = at.get(s);
            if (!list) at.set(s, list = []);
            list.push([r, n]);
            sig += r + ":" + s + ":" + n + ",";
          }
        }
      }
      hi[ROLES[r]] = best >= 0 ? stateName(best) : null;
      hiIds[ROLES[r]] = best;
    }
    highlighted = hi; highlightedIds = hiIds;
    for (let r = 0; r < R; r++) sig += failedRoles[r] ? "f" + r : "";
    if (!g || !g.svg || sig === lastGraphSig) return;
    if (view.sel === "all" && now - lastGraphUpdate < 150 && lastGraphSig) return;
    lastGraphSig = sig; lastGraphUpdate = now;
    for (const [id, node] of g.nodes) {
      const list = at.get(id);
      node.g.classList.toggle("lit", !!list);
      const failedHere = !!list && list.some(([r]) => failedRoles[r] && view.sel !== "all");
      node.g.classList.toggle("failed", failedHere);
      node.g.dataset.roles = list ? list.map(([r]) => ROLES[r]).join(" ") : "";
    }
    const chips = g.chips;
    while (chips.firstChild) chips.removeChild(chips.firstChild);
    const NS = "http://www.w3.org/2000/svg";
    for (const [id, list] of at) {
      const node = g.nodes.get(id);
      if (!node) continue;
      if (!node.box || !node.box.width) {
        try { node.box = node.g.getBBox(); } catch (e) { node.box = null; }
      }
      const box = node.box;
      if (!box || !box.width) continue;
      // one pill per role at the node's top right corner: its initial (and count, for all)
      let right = box.x + box.width + 4;
      for (let j = list.length - 1; j >= 0; j--) {
        const [r, n] = list[j];
        const text = ROLES[r].charAt(0).toUpperCase() + (view.sel === "all" ? " " + n.toLocaleString() : "");
        const pw = 8 + 6.2 * text.length;
        const x = right - pw, y = box.y - 6;
        right = x - 2;
        const c = document.createElementNS(NS, "rect");
        c.setAttribute("x", x); c.setAttribute("y", y); c.setAttribute("width", pw); c.setAttribute("height", 13);
        c.setAttribute("rx", 6.5);
        c.setAttribute("fill", failedRoles[r] && view.sel !== "all" ? FAIL : roleColour(r));
        c.setAttribute("stroke", "#fff"); c.setAttribute("stroke-width", "1.5");
        const tip = document.createElementNS(NS, "title");
        tip.textContent = ROLES[r] + (view.sel === "all" ? ": " + n.toLocaleString() + " sessions here" : " is here");
        c.appendChild(tip);
        const t = document.createElementNS(NS, "text");
        t.setAttribute("x", x + pw / 2); t.setAttribute("y", y + 9.6); t.setAttribute("text-anchor", "middle");
        t.textContent = text;
        chips.append(c, t);
      }
    }
  }

  // -- the stage: roles on a circle, messages as dots ------------------------------
  const stage = $("stage"), sctx = stage.getContext("2d");
  const activeBuf = [];
  function sizeCanvas(c, w, h) {
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(1, Math.round(w * dpr)), Hh = Math.max(1, Math.round(h * dpr));
    if (c.width !== W || c.height !== Hh) { c.width = W; c.height = Hh; }
    c.style.width = w + "px"; c.style.height = h + "px";
    return dpr;
  }
  function ring(w, h) {            // the ellipse the roles sit on: [cx, cy, rx, ry]
    const ry = Math.max(30, h / 2 - 62);
    const rx = Math.max(30, Math.min(w / 2 - 90, ry * 1.5));
    return [w / 2, h / 2 - 8, rx, ry];
  }
  function rolePositions(w, h) {
    const [cx, cy, rx, ry] = ring(w, h);
    const pos = [];
    for (let r = 0; r < R; r++) {
      if (R === 1) { pos.push([cx, cy]); continue; }
      const a = (R === 2 ? Math.PI : -Math.PI / 2) + (2 * Math.PI * r) / R;
      pos.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
    }
    return pos;
  }
  function curvePoint(a, b, p) {  // quadratic curve bowed to the left of a->b
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const mx = (a[0] + b[0]) / 2 - dy * 0.16, my = (a[1] + b[1]) / 2 + dx * 0.16;
    const q = 1 - p;
    return [q * q * a[0] + 2 * q * p * mx + p * p * b[0], q * q * a[1] + 2 * q * p * my + p * p * b[1], mx, my];
  }
  function labelText(ctx, text, x, y, colour) {
    ctx.lineWidth = 3.5; ctx.strokeStyle = "rgba(255,255,255,0.92)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour; ctx.fillText(text, x, y);
  }
  function roundRect(ctx, x, y, w, h, r) {
    ctx.beginPath();
    ctx.moveTo(x + r, y); ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath();
  }

  function placeLabels(ctx, pos, dots, wanted) {
    // Greedy: above the dot, below, right, left -- the first spot that covers no role,
    // role name, dot or label already placed; else the spot that covers the least.
    const taken = [];
    for (const [rx, ry] of pos) {  // [x0, y0, x1, y1, how bad covering it is]
      taken.push([rx - 27, ry - 27, rx + 27, ry + 27, 3], [rx - 62, ry + 26, rx + 62, ry + 70, 2]);
    }
    for (const d of dots) taken.push([d.x - 8, d.y - 8, d.x + 8, d.y + 8, 6]);
    const overlap = (r) => {
      let sum = 0;
      for (const t of taken) {
        const dx = Math.min(r[2], t[2]) - Math.max(r[0], t[0]), dy = Math.min(r[3], t[3]) - Math.max(r[1], t[1]);
        if (dx > 0 && dy > 0) sum += dx * dy * t[4];
      }
      return sum;
    };
    const out = new Array(wanted.length);
    const order = wanted.map((_, i) => i).sort((i, j) => wanted[j].first - wanted[i].first);
    for (const i of order) {             // notifications and lost messages first
      const { text, x, y } = wanted[i];
      const w = ctx.measureText(text).width, h = 13;
      const spots = [[x, y - 14], [x, y + 16], [x + w / 2 + 11, y + 1], [x - w / 2 - 11, y + 1],
                     [x + w / 2 + 6, y - 13], [x - w / 2 - 6, y - 13], [x, y - 28]];
      let best = spots[0], least = Infinity;
      for (const [lx, ly] of spots) {
        const o = overlap([lx - w / 2, ly - h / 2, lx + w / 2, ly + h / 2]);
        if (o < least - 1e-9) { least = o; best = [lx, ly]; }
        if (o === 0) break;
      }
      taken.push([best[0] - w / 2, best[1] - h / 2, best[0] + w / 2, best[1] + h / 2, 2]);
      out[i] = best;
    }
    return out;
  }
  function drawStage(counts, failedRoles) {
    const box = $("stage-box");
    const w = box.clientWidth, h = box.clientHeight;
    const dpr = sizeCanvas(stage, w, h);
    const ctx = sctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const pos = rolePositions(w, h);
    const minDur = MIN_VISIBLE * rate * speed;
    // the ring
    if (R > 1) {
      const [cx, cy, rx, ry] = ring(w, h);
      ctx.beginPath();
      ctx.ellipse(cx, cy, rx, ry, 0, 0, 2 * Math.PI);
      ctx.strokeStyle = "#eef0f3"; ctx.lineWidth = 1.5; ctx.stroke();
    }
    // messages
    const all = view.sel === "all";
    const act = view.active(T, minDur, activeBuf);
    const inFlight = act.length;
    const stride = inFlight > MAX_DOTS ? Math.ceil(inFlight / MAX_DOTS) : 1;
    let aggregated = 0;
    if (stride > 1 || inFlight > MAX_LABELS) {
      // many in flight: one line per pair of roles, as thick as its traffic
      const pairs = new Map();
      for (const m of act) {
        const key = view.mFrom[m] * R + view.mTo[m];
        pairs.set(key, (pairs.get(key) || 0) + 1);
      }
      aggregated = pairs.size;
      ctx.font = "600 11px system-ui, sans-serif";
      for (const [key, n] of pairs) {
        const a = pos[Math.floor(key / R)], b = pos[key % R];
        const [, , mx, my] = curvePoint(a, b, 0.5);
        ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.quadraticCurveTo(mx, my, b[0], b[1]);
        ctx.strokeStyle = "rgba(37,99,235,0.18)"; ctx.lineWidth = Math.min(14, 1.5 + 2 * Math.log2(1 + n));
        ctx.stroke();
      }
    }
    // roles, over the messages' paths

    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (let r = 0; r < R; r++) {
      const [x, y] = pos[r];
      const failed = failedRoles[r] > 0;
      ctx.beginPath(); ctx.arc(x, y, 25, 0, 2 * Math.PI);
      ctx.fillStyle = roleColour(r); ctx.fill();
      ctx.lineWidth = failed ? 4 : 3; ctx.strokeStyle = failed ? FAIL : "#ffffff"; ctx.stroke();
      ctx.fillStyle = "#fff"; ctx.font = "700 15px system-ui, sans-serif";
      ctx.fillText(failed && !all ? "✕" : ROLES[r].charAt(0).toUpperCase(), x, y + 1);
      ctx.font = "650 13px system-ui, sans-serif";
      labelText(ctx, ROLES[r], x, y + 38, "#111827");
      // where it stands
      let best = -1, bestN = 0, total = 0;
      for (let s = 0; s < S; s++) {
        const n = counts[r * S + s];
        total += n;
        if (n > bestN) { best = s; bestN = n; }
      }
      if (best >= 0) {
        let text = stateName(best);
        if (all) text += total > bestN ? "  " + bestN + "/" + total : "  ×" + bestN;
        else if (best !== EXIT) text += " · " + STATES[best].actions[r].toUpperCase();
        if (failed && !all) text = "FAILED at " + stateName(best);
        ctx.font = "12px system-ui, sans-serif";
        const tw = ctx.measureText(text).width + 14;
        roundRect(ctx, x - tw / 2, y + 49, tw, 19, 9.5);
        ctx.fillStyle = failed && !all ? "#fee2e2" : best === EXIT ? "#e5e7eb" : "#fef3c7";
        ctx.fill();
        ctx.fillStyle = failed && !all ? "#991b1b" : "#374151";
        ctx.fillText(text, x, y + 59);
      }
    }
    const dots = [];
    const labelEvery = Math.max(1, Math.ceil(Math.ceil(inFlight / stride) / MAX_LABELS));
    let labels = 0, k = 0;
    const wanted = [];
    ctx.font = "600 11px system-ui, sans-serif";
    for (let n = 0; n < act.length; n += stride, k++) {
      const m = act[n];
      const a = pos[view.mFrom[m]], b = pos[view.mTo[m]];
      const p = view.progress(m, T, minDur);
      const edge = Math.min(0.3, 27 / Math.max(1, Math.hypot(b[0] - a[0], b[1] - a[1])));
      const [x, y, mx, my] = curvePoint(a, b, edge + p * (1 - 2 * edge));   // rim to rim
      const note = view.mNote[m] === 1;
      const lost = !view.mDone[m] && view.closed;
      const colour = lost ? FAIL : note ? NOTE : roleColour(view.mFrom[m]);
      if (inFlight <= 60) {      // the path, faintly
        ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.quadraticCurveTo(mx, my, b[0], b[1]);
        ctx.setLineDash(note ? [4, 4] : []);
        ctx.strokeStyle = note ? "rgba(217,119,6,0.35)" : "rgba(17,24,39,0.10)"; ctx.lineWidth = 1.5;
        ctx.stroke(); ctx.setLineDash([]);
      }
      ctx.beginPath();
      if (note) {
        ctx.moveTo(x, y - 7); ctx.lineTo(x + 7, y); ctx.lineTo(x, y + 7); ctx.lineTo(x - 7, y); ctx.closePath();
      } else {
        ctx.arc(x, y, 6.5, 0, 2 * Math.PI);
      }
      ctx.fillStyle = colour; ctx.fill();
      ctx.lineWidth = 2; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      let label = null;
      if (k % labelEvery === 0 && labels < MAX_LABELS) {
        label = note ? "notify → " + stateName(view.mState[m]) :
          (view.mLab[m] >= 0 ? strings[view.mLab[m]] : "?");
        if (lost) label += " (lost)";
        if (all) label = "s" + view.mSess[m] + " " + label;
        wanted.push({ text: label, x: x, y: y, first: note || lost ? 1 : 0,
                      colour: note ? "#92400e" : lost ? FAIL : "#111827" });
        labels++;
      }
      if (dots.length < 400) {
        dots.push({ x: x, y: y, from: ROLES[view.mFrom[m]], to: ROLES[view.mTo[m]], label: label,
                    notify: note, session: view.mSess[m], message: m, progress: p });
      }
    }
    placeLabels(ctx, pos, dots, wanted).forEach(([lx, ly], i) => {
      labelText(ctx, wanted[i].text, lx, ly, wanted[i].colour);
    });
    if (aggregated) {             // traffic per pair, on top of the dots
      ctx.font = "700 12px system-ui, sans-serif";
      const pairs = new Map();
      for (const m of act) {
        const key = view.mFrom[m] * R + view.mTo[m];
        pairs.set(key, (pairs.get(key) || 0) + 1);
      }
      for (const [key, n] of pairs) {
        const mid = curvePoint(pos[Math.floor(key / R)], pos[key % R], 0.5);
        labelText(ctx, "×" + n.toLocaleString(), mid[0], mid[1] + 16, "#1e40af");
      }
    }
    lastDots = dots;
    drawn = { dots: Math.ceil(inFlight / stride), inFlight: inFlight, labels: labels, aggregated: aggregated };
    stage.dataset.drawnDots = String(drawn.dots);
    stage.dataset.inFlight = String(inFlight);
    $("stage-info").textContent = inFlight
      ? inFlight.toLocaleString() + " in flight" + (stride > 1 ? " · drawing " + drawn.dots + " · per pair ×" : "")
      : "";
  }

  // -- the timeline ------------------------------------------------------------------
  const activity = $("activity"), actx = activity.getContext("2d");
  function drawActivity() {
    const wrap = $("timeline-wrap");
    const w = wrap.clientWidth, h = wrap.clientHeight;
    if (!w || !h) return;
    const dpr = sizeCanvas(activity, w, h);
    actx.setTransform(dpr, 0, 0, dpr, 0, 0);
    actx.clearRect(0, 0, w, h);
    const t0 = view.start, span = view.end - t0;
    const bins = Math.max(10, Math.floor(w / 3));
    const hist = new Float64Array(bins);
    const n = view.mS.length;
    const step = n > 200000 ? Math.ceil(n / 200000) : 1;
    for (let m = 0; m < n; m += step) {
      const b = span > 0 ? Math.min(bins - 1, Math.floor(((view.mS[m] - t0) / span) * bins)) : 0;
      hist[b] += step;
    }
    let max = 0;
    for (const x of hist) if (x > max) max = x;
    actx.fillStyle = "rgba(37,99,235,0.22)";
    const bw = w / bins;
    for (let b = 0; b < bins; b++) {
      if (!hist[b]) continue;
      const bh = (Math.sqrt(hist[b] / max)) * (h - 6);
      actx.fillRect(b * bw, h - 3 - bh, Math.max(1, bw - 0.5), bh);
    }
    actx.fillStyle = FAIL;
    for (const f of view.fails) {
      const x = span > 0 ? ((f.t - t0) / span) * w : 0;
      actx.fillRect(Math.max(0, x - 1), 0, 2.5, h);
    }
  }

  // -- the sequence diagram (virtualized: only visible rows are drawn) -------------
  const seq = $("seq"), seqCanvas = $("seq-canvas"), qctx = seqCanvas.getContext("2d");
  const MAX_SPACER = 30000000;
  function resizeSeq() {
    const h = Math.min(MAX_SPACER, SEQ_HEAD + view.rowT.length * ROW_H + 10);
    $("seq-spacer").style.height = h + "px";
    $("seq-info").textContent = view.messages.toLocaleString() + " messages" +
      (view.fails.length ? " · " + view.fails.length + " failed" : "");
  }
  let lastSeqKey = "";
  function drawSeq(force) {
    const w = seq.clientWidth, h = seq.clientHeight;
    const rows = view.rowT.length;
    const cur = upperBound(view.rowT, T) - 1;
    if (seqFollow && (playing || following || force)) {
      const want = Math.max(0, (cur + 1) * ROW_H - (h - SEQ_HEAD) * 0.65);
      if (Math.abs(seq.scrollTop - want) > 1) seq.scrollTop = want;
    }
    const top = seq.scrollTop;
    const key = w + "," + h + "," + top + "," + cur + "," + rows + "," + view.version + "," + T.toFixed(12);
    if (key === lastSeqKey && !force) return;
    lastSeqKey = key;
    const dpr = sizeCanvas(seqCanvas, w, h);
    const ctx = qctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const colW = (w - SEQ_LEFT - 8) / R;
    const xs = ROLES.map((_, r) => SEQ_LEFT + colW * (r + 0.5));
    // lifelines
    ctx.strokeStyle = "#e5e7eb"; ctx.lineWidth = 1; ctx.setLineDash([3, 4]);
    for (const x of xs) { ctx.beginPath(); ctx.moveTo(x, SEQ_HEAD); ctx.lineTo(x, h); ctx.stroke(); }
    ctx.setLineDash([]);
    const first = Math.max(0, Math.floor(top / ROW_H));
    const last = Math.min(rows - 1, Math.ceil((top + h - SEQ_HEAD) / ROW_H));
    const minDur = MIN_VISIBLE * rate * speed;
    const span = view.end;
    const step = rows > 1 ? Math.max(view.end - view.start, 1e-9) / rows : span;
    const all = view.sel === "all";
    ctx.textBaseline = "middle";
    for (let i = first; i <= last; i++) {
      const y = SEQ_HEAD + i * ROW_H - top + ROW_H / 2;
      if (y < SEQ_HEAD - ROW_H) continue;
      const future = view.rowT[i] > T;
      const isMsg = view.rowK[i] === 0, mm = view.rowI[i];
      if (i === cur) { ctx.fillStyle = "#fef3c7"; ctx.fillRect(0, y - ROW_H / 2, w, ROW_H); }
      else if (isMsg && !future && T < Math.max(view.mE[mm], view.mS[mm] + minDur)) {
        ctx.fillStyle = "#eff6ff"; ctx.fillRect(0, y - ROW_H / 2, w, ROW_H);
      }
      ctx.globalAlpha = future ? 0.32 : 1;
      ctx.fillStyle = "#9ca3af"; ctx.font = "10px system-ui, sans-serif"; ctx.textAlign = "left";
      ctx.fillText(fmtPrecise(view.rowT[i], span, step), 6, y);
      if (view.rowK[i] === 1) {
        const f = view.fails[view.rowI[i]];
        const x = xs[f.role];
        ctx.beginPath(); ctx.arc(x, y, 7, 0, 2 * Math.PI); ctx.fillStyle = FAIL; ctx.fill();
        ctx.fillStyle = "#fff"; ctx.font = "700 10px system-ui, sans-serif"; ctx.textAlign = "center";
        ctx.fillText("✕", x, y + 0.5);
        ctx.textAlign = "left"; ctx.fillStyle = FAIL; ctx.font = "600 11px system-ui, sans-serif";
        const text = (all ? "s" + f.session + " " : "") + ROLES[f.role] + " failed at " + stateName(f.state) + ": " + f.error;
        ctx.fillText(text.length > 140 ? text.slice(0, 137) + "…" : text, x + 12, y);
        continue;
      }
      const m = view.rowI[i];
      const x1 = xs[view.mFrom[m]], x2 = xs[view.mTo[m]];
      const note = view.mNote[m] === 1;
      const lost = !view.mDone[m] && view.closed;
      const colour = lost ? FAIL : note ? NOTE : "#374151";
      ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = 1.4;
      ctx.setLineDash(note ? [5, 3] : []);
      const dir = x2 > x1 ? 1 : -1;
      ctx.beginPath(); ctx.moveTo(x1, y + 4); ctx.lineTo(x2 - dir * 2, y + 4); ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath(); ctx.moveTo(x2, y + 4); ctx.lineTo(x2 - dir * 7, y + 0.5); ctx.lineTo(x2 - dir * 7, y + 7.5);
      ctx.closePath(); ctx.fill();
      ctx.beginPath(); ctx.arc(x1, y + 4, 2.5, 0, 2 * Math.PI); ctx.fill();
      let label = note ? "notify → " + stateName(view.mState[m]) : (view.mLab[m] >= 0 ? strings[view.mLab[m]] : "?");
      if (lost) label += " (lost)";
      if (all) label = "s" + view.mSess[m] + " " + label;
      ctx.font = (note ? "italic " : "") + "11px system-ui, sans-serif"; ctx.textAlign = "center";
      ctx.fillStyle = note ? "#92400e" : lost ? FAIL : "#111827";
      ctx.fillText(label, (x1 + x2) / 2, y - 4);
    }
    ctx.globalAlpha = 1;
    // header band with the role names
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, w, SEQ_HEAD);
    ctx.strokeStyle = "#e5e7eb"; ctx.beginPath(); ctx.moveTo(0, SEQ_HEAD - 0.5); ctx.lineTo(w, SEQ_HEAD - 0.5); ctx.stroke();
    ctx.textAlign = "center"; ctx.font = "650 12px system-ui, sans-serif";
    ROLES.forEach((r, i) => {
      const tw = Math.min(colW - 8, ctx.measureText(r).width + 16);
      roundRect(ctx, xs[i] - tw / 2, 5, tw, 20, 6); ctx.fillStyle = roleColour(i); ctx.fill();
      ctx.fillStyle = "#fff"; ctx.fillText(r, xs[i], 15.5);
    });
    ctx.textAlign = "left"; ctx.fillStyle = "#9ca3af"; ctx.font = "10px system-ui, sans-serif";
    ctx.fillText("time", 6, 15);
  }
  seq.addEventListener("wheel", () => { seqFollow = false; }, { passive: true });
  seq.addEventListener("click", (ev) => {
    const rect = seq.getBoundingClientRect();
    const y = ev.clientY - rect.top + seq.scrollTop - SEQ_HEAD;
    const i = Math.floor(y / ROW_H);
    if (i >= 0 && i < view.rowT.length) seek(view.rowT[i]);
  });
  seq.addEventListener("scroll", () => { dirty = true; }, { passive: true });

  // -- controls ----------------------------------------------------------------------
  function setPlaying(on) {
    playing = on;
    const b = $("play");
    b.innerHTML = on
      ? '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="M3.5 2.5h3.2v11H3.5zM9.3 2.5h3.2v11H9.3z"/></svg>'
      : '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="M4 2.5v11l9.5-5.5z"/></svg>';
    b.setAttribute("aria-label", on ? "pause" : "play");
    b.dataset.state = on ? "playing" : "paused";
    if (on) seqFollow = true;
    dirty = true;
  }
  function play() {
    if (!view.empty && T >= view.end && (!live || live.done)) T = view.start;
    setPlaying(true);
  }
  function pause() { setPlaying(false); following = false; updateFollow(); }
  function seek(t) {
    const lo = view.start, hi = view.end;
    T = Math.min(hi, Math.max(lo, Number(t)));
    if (live && !live.done) following = T >= hi;
    updateFollow();
    seqFollow = true;
    drawSeq(true);
    dirty = true;
  }
  function restart() { seek(view.start); }
  function setSpeed(x) {
    speed = Number(x);
    $("speed").value = String(speed);
    dirty = true;
  }
  function updateFollow() {
    const b = $("follow");
    b.hidden = !live || live.done || following;
  }
  $("play").addEventListener("click", () => (playing ? pause() : play()));
  $("restart").addEventListener("click", () => restart());
  $("follow").addEventListener("click", () => { following = true; seek(view.end); following = true; setPlaying(true); updateFollow(); });
  $("speed").addEventListener("change", (e) => setSpeed(e.target.value));
  const timeline = $("timeline");
  timeline.addEventListener("input", () => { scrubbing = true; seek(timeline.value); });
  timeline.addEventListener("change", () => { scrubbing = false; });
  timeline.addEventListener("pointerup", () => { scrubbing = false; });
  $("session").addEventListener("change", (e) => selectSession(e.target.value));
  $("session-id").addEventListener("change", (e) => {
    const box = e.target;
    if (box.value === "") return;
    const ok = sessions.has(Number(box.value));
    box.setCustomValidity(ok ? "" : "no session " + box.value);
    box.title = ok ? "any session by number" : "no session " + box.value + " in this trace";
    box.style.borderColor = ok ? "" : FAIL;
    if (ok) selectSession(box.value);
  });
  $("graph-view").addEventListener("change", (e) => showGraph(e.target.value));
  document.addEventListener("keydown", (e) => {
    if (e.target && (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") && e.key !== " ") return;
    if (e.key === " ") { e.preventDefault(); playing ? pause() : play(); }
    else if (e.key === "Home") { restart(); }
    else if (e.key === "End") { seek(view.end); }
    else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const i = upperBound(view.rowT, T) - 1;
      const j = e.key === "ArrowRight" ? i + 1 : i - 1;
      if (j >= 0 && j < view.rowT.length) seek(view.rowT[j]);
    }
  });
  function selectSession(value) {
    let sel = value;
    if (value !== "all" && value !== null) {
      sel = Number(value);
      if (!Number.isInteger(sel) || !sessions.has(sel)) throw new Error("no session " + value);
    }
    const wasPlaying = playing;
    setView(sel);
    setPlaying(wasPlaying);
  }

  // -- the frame loop ----------------------------------------------------------------
  function render(now) {
    const counts = view.countsAt(T);
    const failedRoles = view.failedAt(T);
    drawStage(counts, failedRoles);
    updateGraph(counts, failedRoles, now);
    drawSeq(false);
    const span = view.end;
    $("now").textContent = fmtTime(T, span);
    $("total").textContent = fmtTime(view.end, span);
    $("rate").textContent = live && !live.done ? (speed === 1 ? "real time" : fmtSpeed(speed) + " real time")
      : "1 s = " + fmtRate(rate * speed) + " of the run";
    if (!scrubbing) {
      timeline.min = String(view.start);
      timeline.max = String(Math.max(view.end, view.start + 1e-12));
      timeline.value = String(T);
    }
  }
  function tick(now) {
    frames++;
    const dt = lastNow ? Math.min(0.25, (now - lastNow) / 1000) : 0;
    lastNow = now;
    if (playing && !view.empty) {
      T += dt * rate * speed;
      if (T >= view.end) {
        T = view.end;
        if (!live || live.done) setPlaying(false);
      }
      dirty = true;
    }
    if (live && following && !view.empty) {
      if (view.end - T > 2) T = view.end - 2;   // never lag far behind the live edge
      dirty = true;
    }
    if (sessionsDirty && now - lastSessionsUpdate > 1000) {
      lastSessionsUpdate = now; fillSessions(); updateStatus();
    }
    if (dirty) { dirty = false; render(now); }
    requestAnimationFrame(tick);
  }

  // -- live: events streamed while the program runs --------------------------------
  let liveLastDraw = 0;
  function connectLive() {
    const es = new EventSource(DATA.live.events);
    es.addEventListener("open", () => { live.connected = true; updateStatus(); });
    es.addEventListener("events", (e) => {
      const wasEmpty = view.empty;
      ingest(JSON.parse(e.data));
      live.batches++;
      if (wasEmpty && !view.empty) { T = view.start; setPlaying(true); }
      const now = performance.now();
      if (now - liveLastDraw > 250) { liveLastDraw = now; resizeSeq(); drawActivity(); updateFailures(); }
      dirty = true;
    });
    es.addEventListener("end", (e) => {
      const info = JSON.parse(e.data);
      live.done = true; live.ok = info.ok; live.error = info.error || null;
      es.close();
      view.close();
      rate = baseRate();                         // a replay from now on, at a watchable pace
      resizeSeq(); drawActivity(); updateFailures(); fillSessions(); updateStatus(); updateFollow();
      dirty = true;
    });
    es.addEventListener("error", () => {
      if (!live.done) { live.connected = false; updateStatus(); }
    });
  }

  // -- start ---------------------------------------------------------------------
  buildGraphs();
  updateLegend();
  ingest(DATA.events, false);
  if (DATA.session === null || DATA.session === undefined) {
    const ids = Array.from(sessions.keys()).sort((a, b) => a - b);
    setView(ids.length ? ids[0] : null);
  } else {
    setView(DATA.session);
  }
  updateStatus();
  updateFollow();
  if (live) connectLive();
  const ro = new ResizeObserver(() => { drawActivity(); lastSeqKey = ""; dirty = true; });
  ro.observe($("stage-box")); ro.observe(seq); ro.observe(activity);
  requestAnimationFrame(tick);

  window.troupeViewer = {
    get currentTime() { return T; },
    get startTime() { return view.start; },
    get totalTime() { return view.end; },
    get playing() { return playing; },
    get speed() { return speed; },
    get rate() { return rate; },
    get session() { return view.sel; },
    get sessions() { return Array.from(sessions.keys()).sort((a, b) => a - b); },
    get frames() { return frames; },
    get drawnDots() { return drawn.dots; },
    get inFlight() { return drawn.inFlight; },
    get labelsDrawn() { return drawn.labels; },
    get aggregatedPairs() { return drawn.aggregated; },
    get dots() { return lastDots.map((d) => Object.assign({}, d)); },
    get highlighted() { return Object.assign({}, highlighted); },
    get highlightedIds() { return Object.assign({}, highlightedIds); },
    get events() { return nEvents; },
    get viewEvents() { return view.n; },
    get messages() { return view.messages; },
    get rows() { return view.rowT.length; },
    get failures() {
      return view.fails.map((f) => ({ t: f.t, session: f.session, role: ROLES[f.role],
                                      state: stateName(f.state), error: f.error }));
    },
    get graph() { return graphKey; },
    get graphReady() { const g = graphs.get(graphKey); return !!(g && g.svg); },
    get graphEngine() { return DATA.graphs.engine; },
    get live() { return live ? Object.assign({}, live) : null; },
    get following() { return following; },
    roles: ROLES.slice(),
    play: play,
    pause: pause,
    seek: seek,
    restart: restart,
    setSpeed: setSpeed,
    selectSession: selectSession,
    showGraph: showGraph,
  };
  document.body.dataset.ready = "1";
})();

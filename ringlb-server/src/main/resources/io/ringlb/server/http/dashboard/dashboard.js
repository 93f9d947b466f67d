// The ringlb dashboard: polls /api/ring twice a second and draws the ring, the servers, the
// migration and the request rate. Plain DOM and SVG, served by ringlb itself; no libraries.
"use strict";

(function () {
  const POLL_MS = 500;
  const SPARK_POINTS = 120; // one minute at two samples a second
  const SPACE = 4294967296; // the 32-bit hash space
  const SVG = "http://www.w3.org/2000/svg";
  const R = 100;

  const rates = [];
  let previous = null; // the last document, for per-backend request rates

  function $(id) {
    return document.getElementById(id);
  }

  function colour(id) {
    return "hsl(" + ((id * 137.508) % 360).toFixed(1) + ", 68%, 48%)";
  }

  function number(n) {
    if (n === null || n === undefined || n < 0) {
      return "–";
    }
    return Math.round(n).toLocaleString("en-US");
  }

  function percent(f) {
    return (100 * f).toFixed(1) + " %";
  }

  function bytes(n) {
    if (n === null || n === undefined || n < 0) {
      return "–";
    }
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = n;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (u === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[u];
  }

  function point(position, radius) {
    const angle = (2 * Math.PI * position) / SPACE - Math.PI / 2;
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  }

  function el(name, attributes, text) {
    const e = name.startsWith("svg:")
      ? document.createElementNS(SVG, name.substring(4))
      : document.createElement(name);
    for (const [k, v] of Object.entries(attributes || {})) {
      e.setAttribute(k, v);
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function drawRing(doc) {
    const g = $("arcs");
    const joining = doc.migration && doc.migration.kind === "add" ? doc.migration.server : -1;
    const parts = [];
    for (const arc of doc.arcs) {
      const attributes = { stroke: colour(arc.server), "data-server": arc.server };
      let shape;
      if (arc.end - arc.start >= SPACE) {
        shape = el("svg:circle", Object.assign({ r: R, cx: 0, cy: 0 }, attributes));
      } else {
        const [x1, y1] = point(arc.start, R);
        const [x2, y2] = point(arc.end, R);
        const large = arc.end - arc.start > SPACE / 2 ? 1 : 0;
        shape = el(
          "svg:path",
          Object.assign(
            {
              d:
                "M " + x1.toFixed(3) + " " + y1.toFixed(3) +
                " A " + R + " " + R + " 0 " + large + " 1 " + x2.toFixed(3) + " " + y2.toFixed(3),
            },
            attributes
          )
        );
      }
      if (arc.server === joining) {
        shape.classList.add("joining");
      }
      const title = el("svg:title", {}, "server " + arc.server);
      shape.appendChild(title);
      parts.push(shape);
    }
    g.replaceChildren(...parts);
    $("ring-keys").textContent = number(doc.keys);
  }

  function drawLegend(doc) {
    const items = doc.servers.map((s) => {
      const li = el("li", { "data-server": s.id });
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = colour(s.id);
      li.appendChild(swatch);
      li.appendChild(
        document.createTextNode("server " + s.id + " · " + percent(s.keys_share) + " of keys")
      );
      return li;
    });
    $("legend").replaceChildren(...items);
  }

  function requestRate(s, doc) {
    if (!s.backend || !previous) {
      return null;
    }
    const before = previous.servers.find((p) => p.id === s.id && p.backend);
    const seconds = (doc.time_ms - previous.time_ms) / 1000; // the server's clock: no lag
    if (!before || seconds <= 0) {
      return null;
    }
    return Math.max(0, (s.backend.requests - before.backend.requests) / seconds);
  }

  function cell(text, numeric) {
    return el("td", numeric ? { class: "num" } : {}, text);
  }

  function drawServers(doc) {
    const rows = doc.servers.map((s) => {
      const tr = el("tr", { "data-server": s.id, "data-state": s.state });
      const id = el("td");
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = colour(s.id);
      id.appendChild(swatch);
      id.appendChild(document.createTextNode(" " + s.id));
      tr.appendChild(id);
      tr.appendChild(cell(s.address || "in-process memory"));
      const state = el("td");
      const badge = el("span", { class: "state " + s.state }, s.state);
      if (s.error) {
        badge.title = s.error;
      }
      state.appendChild(badge);
      tr.appendChild(state);
      tr.appendChild(cell(number(s.keys), true));
      const share = el("td");
      const bar = el("span", { class: "share" });
      const fill = el("span");
      fill.style.width = (100 * s.keys_share).toFixed(1) + "%";
      fill.style.background = colour(s.id);
      bar.appendChild(fill);
      share.appendChild(bar);
      share.appendChild(document.createTextNode(percent(s.keys_share)));
      tr.appendChild(share);
      tr.appendChild(cell(percent(s.ring_share), true));
      tr.appendChild(cell(number(s.labels), true));
      tr.appendChild(cell(bytes(s.memory_bytes), true));
      const b = s.backend;
      tr.appendChild(cell(b ? number(requestRate(s, doc)) : "–", true));
      tr.appendChild(cell(b ? number(b.error_replies) : "–", true));
      tr.appendChild(cell(b ? number(b.timeouts) : "–", true));
      tr.appendChild(cell(b ? number(b.failures) : "–", true));
      tr.appendChild(cell(b ? number(b.ejections) : "–", true));
      return tr;
    });
    $("servers").tBodies[0].replaceChildren(...rows);
  }

  function describe(m) {
    return (m.kind === "add" ? "adding" : "removing") + " server " + m.server +
      (m.address ? " (" + m.address + ")" : "");
  }

  function drawMigration(doc) {
    const box = $("migration");
    const m = doc.migration;
    if (m) {
      box.dataset.state = m.state;
      box.dataset.server = m.server;
      $("migration-title").textContent = describe(m) + ": " + m.state;
      const progress = m.progress < 0 ? 0 : m.progress;
      $("migration-bar").style.width = (100 * progress).toFixed(1) + "%";
      $("migration-progress").textContent =
        number(m.keys_moved) + " keys moved, " +
        (m.keys_left < 0 ? "keys left unknown" : number(m.keys_left) + " left") +
        (m.progress < 0 ? "" : " (" + percent(m.progress) + ")") +
        ", " + number(m.rate_keys_per_second) + " keys/s, " + m.seconds.toFixed(1) + " s" +
        (m.error ? " — last error: " + m.error : "");
    } else {
      box.dataset.state = "none";
      delete box.dataset.server;
      $("migration-title").textContent = "no migration running";
      $("migration-bar").style.width = "0";
      $("migration-progress").textContent = "";
    }
    const last = doc.last_migration;
    $("last-migration").textContent = last
      ? "last: " + describe(last) + ", " + number(last.keys_moved) + " keys in " +
        last.seconds.toFixed(2) + " s (" + last.state + ")"
      : doc.migration ? "" : "no ring change since start";
  }

  function drawRates(doc) {
    rates.push(doc.clients.ops_per_second);
    if (rates.length > SPARK_POINTS) {
      rates.shift();
    }
    $("ops").textContent = number(doc.clients.ops_per_second);
    $("clients").textContent = number(doc.clients.connected);
    $("commands").textContent = number(doc.clients.commands_processed);
    $("unread").textContent = bytes(doc.clients.unread_reply_bytes);
    const max = Math.max(1, ...rates);
    const step = 300 / (SPARK_POINTS - 1);
    const offset = SPARK_POINTS - rates.length;
    $("spark-line").setAttribute(
      "points",
      rates
        .map((r, i) => ((offset + i) * step).toFixed(1) + "," + (58 - (56 * r) / max).toFixed(1))
        .join(" ")
    );
  }

  function drawHeader(doc, now) {
    $("mode").textContent = doc.mode;
    $("placement").textContent =
      doc.placement + (doc.hash_tag === "none" ? "" : ", hash tag " + doc.hash_tag);
    $("epoch").textContent = "epoch " + doc.epoch;
    const ready = $("ready");
    ready.textContent = doc.ready ? "ready" : "not ready";
    ready.className = "badge " + (doc.ready ? "ok" : "bad");
    $("updated").textContent = "updated " + new Date(now).toLocaleTimeString("en-GB");
    $("version").textContent = "ringlb " + doc.version;
    document.body.dataset.epoch = doc.epoch;
    document.title = "ringlb · " + doc.mode + " · " + doc.servers.length + " servers";
  }

  function draw(doc) {
    const now = Date.now();
    drawHeader(doc, now);
    drawRing(doc);
    drawLegend(doc);
    drawRates(doc);
    drawMigration(doc);
    drawServers(doc);
    previous = doc;
    document.body.dataset.state = "live";
  }

  function showError(text) {
    const e = $("error");
    if (text) {
      e.textContent = text;
      e.hidden = false;
      document.body.dataset.state = "error";
    } else {
      e.hidden = true;
    }
  }

  async function poll() {
    try {
      const response = await fetch("/api/ring", { cache: "no-store", credentials: "same-origin" });
      if (!response.ok) {
        showError("ringlb answered " + response.status + ": " + (await response.text()));
      } else {
        draw(await response.json());
        showError(null);
      }
    } catch (e) {
      showError("cannot reach ringlb (" + e.message + "); retrying");
    }
    setTimeout(poll, POLL_MS);
  }

  poll();
})();

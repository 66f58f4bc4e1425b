// The mentions page: reads /api/mentions and /api/mentions/stats with the viewer's API token and draws
// the charts and the feed. Provider text is only ever set with textContent.
"use strict";

const COLORS = { x: "#1d2330", mastodon: "#6364ff", negative: "#d92d20", neutral: "#98a2b3", positive: "#12b76a", unscored: "#d0d5dd" };
const SVG = "http://www.w3.org/2000/svg";
const REFRESH_MS = 30000;

function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("frontdesk-token", fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("frontdesk-token");
}

function filters() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(document.getElementById("filters"))) {
    if (value) params.set(key, value);
  }
  return params;
}

async function api(path, params) {
  // A signed-in operator's session cookie goes along by itself; a token only when one was given.
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
  const response = await fetch(`${path}?${params}`, { headers, credentials: "same-origin" });
  if (response.status === 401) {
    sessionStorage.removeItem("frontdesk-token");
    askForToken();
    throw new Error("refused: sign in to the dashboard, or enter an API token");
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function svgEl(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function drawChart(svg, series, starts, stacked) {
  svg.replaceChildren();
  const width = svg.clientWidth || 560, height = svg.clientHeight || 180, pad = 24, legend = 96;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const names = Object.keys(series);
  const slots = starts.length;
  const totals = starts.map((_, i) => stacked ? names.reduce((sum, n) => sum + series[n][i], 0)
                                              : Math.max(0, ...names.map((n) => series[n][i])));
  const top = Math.max(1, ...totals);
  const x = (i) => pad + (i * (width - 2 * pad - legend)) / Math.max(slots - 1, 1);
  const y = (v) => height - pad - (v * (height - 2 * pad)) / top;
  svg.append(svgEl("line", { x1: pad, y1: height - pad, x2: width - pad - legend, y2: height - pad, stroke: "#dfe3ea" }));
  svg.append(Object.assign(svgEl("text", { x: 2, y: pad - 8, class: "legend" }), { textContent: `max ${top}` }));
  const base = new Array(slots).fill(0);
  names.forEach((name, index) => {
    const color = COLORS[name] || "#888";
    if (stacked) {
      const barWidth = Math.max(2, (width - 2 * pad - legend) / slots - 2);
      series[name].forEach((value, i) => {
        if (!value) return;
        svg.append(svgEl("rect", { x: x(i) - barWidth / 2, y: y(base[i] + value), width: barWidth,
                                   height: y(base[i]) - y(base[i] + value), fill: color, "data-series": name }));
        base[i] += value;
      });
    } else {
      const points = series[name].map((value, i) => `${x(i)},${y(value)}`).join(" ");
      svg.append(svgEl("polyline", { points, fill: "none", stroke: color, "stroke-width": 2, "data-series": name }));
    }
    const label = svgEl("text", { x: width - legend, y: pad + index * 14, fill: color, class: "legend" });
    label.textContent = `■ ${name}`;
    svg.append(label);
  });
}

function fillList(id, pairs) {
  document.getElementById(id).replaceChildren(...pairs.map(([term, count]) => el("li", `${term} (${count})`)));
}

function fillChoices(id, values) {
  const select = document.getElementById(id);
  const chosen = select.value;
  select.replaceChildren(el("option", "all"), ...values.map((v) => Object.assign(el("option", v), { value: v })));
  select.options[0].value = "";
  select.value = values.includes(chosen) ? chosen : "";
}

function feedRow(mention) {
  const row = document.createElement("tr");
  const when = new Date(mention.at);
  const author = mention.author.handle ? `@${mention.author.handle}` : mention.author.id;
  row.append(el("td", when.toLocaleString()), el("td", mention.network), el("td", mention.language || ""),
             el("td", mention.author.name ? `${mention.author.name} (${author})` : author),
             el("td", mention.text, "text"),
             el("td", mention.sentiment_label === "unscored" ? "unscored" : `${mention.sentiment_label} ${mention.sentiment.toFixed(2)}`,
                mention.sentiment_label),
             el("td", mention.urgency));
  const cell = el("td");
  if (/^https?:\/\//.test(mention.url)) {
    const link = Object.assign(el("a", "open"), { href: mention.url, rel: "noopener noreferrer", target: "_blank" });
    cell.append(link);
  }
  row.append(cell);
  return row;
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const params = filters();
    const [stats, feed] = await Promise.all([
      api("/api/mentions/stats", params).then((r) => r.json()),
      api("/api/mentions", new URLSearchParams([...params, ["limit", "100"]])).then((r) => r.json()),
    ]);
    drawChart(document.getElementById("chart-network"), stats.volume.by_network, stats.volume.starts, false);
    drawChart(document.getElementById("chart-sentiment"), stats.volume.by_sentiment, stats.volume.starts, true);
    fillList("terms", stats.top.terms);
    fillList("hashtags", stats.top.hashtags);
    fillChoices("streams", stats.streams);
    fillChoices("languages", stats.languages);
    document.querySelector("#feed tbody").replaceChildren(...feed.mentions.map(feedRow));
    status.textContent = `${feed.mentions.length} newest mentions · updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    status.textContent = `Could not load mentions: ${error.message}`;
  }
}

async function exportCsv() {
  const response = await api("/api/mentions.csv", filters());
  const link = Object.assign(el("a"), { href: URL.createObjectURL(await response.blob()), download: "mentions.csv" });
  link.click();
  URL.revokeObjectURL(link.href);
}

function askForToken() {
  const form = document.getElementById("token-form");
  form.hidden = false;
  form.onsubmit = (event) => {
    event.preventDefault();
    sessionStorage.setItem("frontdesk-token", document.getElementById("token").value);
    form.hidden = true;
    refresh();
  };
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("filters").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  document.getElementById("export").addEventListener("click", () => exportCsv().catch((error) => {
    document.getElementById("status").textContent = `Export failed: ${error.message}`;
  }));
  refresh();
  setInterval(refresh, REFRESH_MS);
});

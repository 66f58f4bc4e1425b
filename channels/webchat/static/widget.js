/*
 * Frontdesk web chat widget. Embed with one tag:
 *   <script src="https://frontdesk.example/chat/widget.js" async></script>
 * Options (data- attributes on that tag): data-title="…", data-form="off" (skip the complaint form),
 * data-mode="page" (fill the page instead of a launcher button; /chat uses it),
 * data-transport="rest" (skip the WebSocket: POST plus an event stream, for networks that block sockets).
 * Plain JavaScript, no build step. Protocol: docs/channels/webchat.md. Everything shown is set with
 * textContent, never innerHTML, so whatever a visitor or staff member wrote is shown as text.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.FrontdeskChat) { return; }
  var base = new URL(script.src, location.href).href.replace(/\/widget\.js(\?.*)?$/, "");
  var options = {
    title: script.getAttribute("data-title"),
    form: script.getAttribute("data-form") !== "off",
    page: script.getAttribute("data-mode") === "page",
    rest: script.getAttribute("data-transport") === "rest"
  };
  var TOKEN_KEY = "frontdesk-chat-token:" + base;
  var OPEN_KEY = "frontdesk-chat-open:" + base;
  var MAX_ATTEMPTS = 12;
  var state = {
    token: readStore(localStorage, TOKEN_KEY), send: null, connecting: false, mode: options.rest ? "rest" : "ws", socketFailures: 0,
    attempts: 0, seen: {}, pending: {}, entries: {}, maxBytes: 16384, welcomed: false, formEnabled: options.form
  };
  var ui = build();
  window.FrontdeskChat = { open: open, close: close };

  function readStore(store, key) { try { return store.getItem(key); } catch (error) { return null; } }
  function writeStore(store, key, value) { try { store.setItem(key, value); } catch (error) { /* private mode */ } }

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function field(form, name, label, tag, extra) {
    var id = "fd-" + name;
    var wrapper = el("label", { "for": id }, label);
    var input = el(tag, Object.assign({ id: id, name: name, required: "" }, extra));
    wrapper.appendChild(input);
    form.appendChild(wrapper);
  }

  function buildForm() {
    var form = el("form", { "class": "complaint", "aria-labelledby": "fd-form-intro", novalidate: "" });
    form.appendChild(el("p", { id: "fd-form-intro", "class": "intro" },
      "Tell us what happened and we will get back to you. All fields are required."));
    field(form, "name", "Your name", "input", { autocomplete: "name", maxlength: "200" });
    field(form, "contact", "Email address or phone number", "input", { autocomplete: "email", maxlength: "320" });
    field(form, "what_happened", "What happened?", "textarea", { maxlength: "8000", rows: "4" });
    field(form, "desired_outcome", "What outcome would you like?", "textarea", { maxlength: "3000", rows: "3" });
    form.appendChild(el("p", { "class": "error", id: "fd-form-error", role: "alert" }));
    form.appendChild(el("button", { type: "submit", "class": "primary" }, "Send complaint"));
    form.addEventListener("submit", submitComplaint);
    return form;
  }

  function buildCompose() {
    var compose = el("form", { "class": "compose", "aria-label": "Write a message" });
    var input = el("textarea", { id: "fd-message", name: "message", rows: "2", maxlength: "12000",
      placeholder: "Write a message", "aria-describedby": "fd-compose-hint" });
    compose.appendChild(el("label", { "for": "fd-message", "class": "visually-hidden" }, "Message"));
    compose.appendChild(input);
    compose.appendChild(el("span", { id: "fd-compose-hint", "class": "visually-hidden" },
      "Enter sends, Shift+Enter starts a new line."));
    compose.appendChild(el("button", { type: "submit", "class": "primary" }, "Send"));
    compose.addEventListener("submit", function (event) { event.preventDefault(); submitMessage(); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submitMessage(); }
    });
    return compose;
  }

  function buildHeader(launcherText) {
    var header = el("header");
    header.appendChild(el("h2", { id: "fd-title" }, launcherText));
    if (!options.page) {
      var closer = el("button", { type: "button", "class": "close", "aria-label": "Close chat" }, "\u00d7");
      closer.addEventListener("click", close);
      header.appendChild(closer);
    }
    return header;
  }

  function build() {
    var host = el("div", { id: "frontdesk-chat" });
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("link", { rel: "stylesheet", href: base + "/widget.css" }));
    var shell = el("div", { "class": "root" + (options.page ? " page" : "") });
    var text = options.title || "Contact us";
    var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "fd-panel" }, text);
    var panel = el("section", { id: "fd-panel", "class": "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "fd-title" });
    var body = el("div", { "class": "body" });
    var form = buildForm(), compose = buildCompose();
    var log = el("ol", { "class": "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    [form, log].forEach(function (node) { node.hidden = true; body.appendChild(node); });
    compose.hidden = true;
    var status = el("p", { "class": "status", role: "status", "aria-live": "polite" });
    [buildHeader(text), status, body, compose].forEach(function (node) { panel.appendChild(node); });
    if (!options.page) { shell.appendChild(launcher); panel.hidden = true; }
    shell.appendChild(panel);
    root.appendChild(shell);
    (document.body || document.documentElement).appendChild(host);
    launcher.addEventListener("click", function () { return panel.hidden ? open() : close(); });
    panel.addEventListener("keydown", function (event) { if (event.key === "Escape" && !options.page) { close(); } });
    return { launcher: launcher, panel: panel, title: panel.querySelector("h2"), status: status, body: body, form: form,
      formError: form.querySelector(".error"), log: log, compose: compose, input: compose.querySelector("textarea") };
  }

  function open() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    writeStore(sessionStorage, OPEN_KEY, "1");
    connect();
    focusFirst();
  }

  function close() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    writeStore(sessionStorage, OPEN_KEY, "");
    ui.launcher.focus();
  }

  function focusFirst() {
    var target = !ui.form.hidden ? ui.form.querySelector("input") : (!ui.compose.hidden ? ui.input : null);
    if (target) { target.focus(); }
  }

  function setStatus(text) { ui.status.textContent = text; }

  function newClientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function connect() {
    if (state.send || state.connecting) { return; }
    state.connecting = true;
    setStatus(state.attempts ? "Reconnecting\u2026" : "Connecting\u2026");
    if (state.mode === "ws" && window.WebSocket) { connectSocket(); } else { connectStream(); }
  }

  function connectSocket() {
    var socket = new WebSocket(base.replace(/^http/, "ws") + "/ws");
    var welcomed = false;
    socket.onopen = function () { socket.send(JSON.stringify({ type: "hello", token: state.token || null })); };
    socket.onmessage = function (event) {
      var frame = parseFrame(event.data);
      if (frame && frame.type === "welcome") {
        welcomed = true;
        welcome(frame, function (out) { socket.send(JSON.stringify(out)); });
      } else if (frame) { handle(frame); }
    };
    socket.onclose = function (event) {
      if (!welcomed && ++state.socketFailures >= 2) { state.mode = "rest"; }
      disconnected(event.code);
    };
  }

  function authorised(extra) {
    return Object.assign({ Authorization: "Bearer " + state.token }, extra || {});
  }

  function ensureToken() {
    if (state.token) { return Promise.resolve(state.token); }
    return fetch(base + "/conversations", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })
      .then(function (response) { if (!response.ok) { throw new Error("refused"); } return response.json(); })
      .then(function (answer) { state.token = answer.token; writeStore(localStorage, TOKEN_KEY, answer.token); });
  }

  function connectStream() {
    ensureToken().then(function () {
      return fetch(base + "/events", { headers: authorised({ Accept: "text/event-stream" }) });
    }).then(function (response) {
      if (response.status === 401) { state.token = null; }
      if (!response.ok || !response.body) { throw new Error("stream refused"); }
      return readStream(response.body.getReader());
    }).then(function () { disconnected(1000); }, function () { disconnected(1006); });
  }

  function readStream(reader) {
    var decoder = new TextDecoder(), buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { return; }
        buffer += decoder.decode(chunk.value, { stream: true });
        var blocks = buffer.split("\n\n");
        buffer = blocks.pop();
        blocks.forEach(function (block) {
          var data = block.split("\n").filter(function (line) { return line.indexOf("data:") === 0; })
            .map(function (line) { return line.slice(5).trim(); }).join("\n");
          var frame = data && parseFrame(data);
          if (frame && frame.type === "welcome") { welcome(frame, postFrame); } else if (frame) { handle(frame); }
        });
        return pump();
      });
    }
    return pump();
  }

  function postFrame(frame) {
    fetch(base + "/messages", { method: "POST", headers: authorised({ "Content-Type": "application/json" }), body: JSON.stringify(frame) })
      .then(function (response) {
        return response.json().then(function (answer) {
          answer.type = response.ok ? "received" : "error";
          answer.client_id = frame.client_id;
          handle(answer);
        });
      })
      .catch(function () { /* stays pending; sent again on the next welcome */ });
  }

  function parseFrame(text) { try { return JSON.parse(text); } catch (error) { return null; } }

  function welcome(frame, send) {
    state.connecting = false;
    state.attempts = 0;
    state.welcomed = true;
    state.socketFailures = 0;
    state.token = frame.token;
    writeStore(localStorage, TOKEN_KEY, frame.token);
    if (frame.max_bytes) { state.maxBytes = frame.max_bytes; }
    if (frame.title && !options.title) { ui.title.textContent = frame.title; ui.launcher.textContent = frame.title; }
    state.formEnabled = options.form && frame.complaint_form !== false;
    (frame.events || []).forEach(show);
    var hasHistory = ui.log.children.length > 0;
    ui.form.hidden = hasHistory || !state.formEnabled;
    ui.log.hidden = ui.compose.hidden = !ui.form.hidden;
    state.send = send;
    setStatus("Connected");
    Object.keys(state.pending).forEach(function (id) { send(state.pending[id]); });
    if (!ui.panel.hidden && !ui.panel.contains(ui.panel.getRootNode().activeElement)) { focusFirst(); }
  }

  function disconnected(code) {
    state.send = null;
    state.connecting = false;
    if (code === 1009) { setStatus("That message was too long to send."); }
    if (code === 1008) { setStatus("Too many messages at once. Please wait a moment."); }
    if (code === 4000) { setStatus("Disconnected after a while without messages. Sending one reconnects."); return; }
    if (++state.attempts > MAX_ATTEMPTS) { setStatus("Offline. Close and reopen the chat to try again."); state.attempts = 0; return; }
    var delay = Math.min(30000, 500 * Math.pow(2, state.attempts)) * (0.75 + Math.random() / 2);
    if (code === 1006) { setStatus("Connection lost. Reconnecting\u2026"); }
    setTimeout(function () { if (!ui.panel.hidden) { connect(); } }, code === 1008 ? Math.max(delay, 10000) : delay);
  }

  function handle(frame) {
    if (frame.type === "event") { show(frame.event); }
    if (frame.type === "received") {
      delete state.pending[frame.client_id];
      if (frame.event) { show(frame.event); }
    }
    if (frame.type === "error") {
      var entry = state.entries["c:" + frame.client_id];
      if (frame.retry) {
        setStatus("Could not deliver yet; retrying.");
        setTimeout(function () { var again = state.pending[frame.client_id]; if (again && state.send) { state.send(again); } }, 3000);
        return;
      }
      delete state.pending[frame.client_id];
      if (entry) { entry.meta.textContent = "Not sent: " + (frame.error || "refused"); }
      setStatus(frame.error || "Something went wrong.");
    }
  }

  function entryFor(event) {
    var known = state.entries[event.id] || (event.client_id && state.entries["c:" + event.client_id]);
    if (known) { return known; }
    var visitor = event.kind === "visitor";
    var item = el("li", { "class": "entry " + (visitor ? "visitor" : "staff") });
    var entry = { item: item, text: el("p", { "class": "text" }), meta: el("span", { "class": "meta" }) };
    item.appendChild(el("span", { "class": "who" }, visitor ? "You" : (event.author || "Support")));
    item.appendChild(entry.text);
    item.appendChild(entry.meta);
    ui.log.appendChild(item);
    return entry;
  }

  function show(event) {
    if (!event || !event.id) { return; }
    var entry = entryFor(event);
    state.entries[event.id] = entry;
    if (event.client_id) { state.entries["c:" + event.client_id] = entry; }
    entry.text.textContent = event.text;
    var when = event.at ? new Date(event.at) : new Date();
    entry.meta.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) +
      (event.kind === "visitor" ? " \u00b7 Received" : "");
    ui.body.scrollTop = ui.body.scrollHeight;
  }

  function sendFrame(frame, preview) {
    var size = new Blob([JSON.stringify(frame)]).size;
    if (size > state.maxBytes) { return "Too long: please shorten it to under " + Math.floor(state.maxBytes / 1024) + " KB."; }
    var entry = entryFor({ id: "c:" + frame.client_id, kind: "visitor" });
    state.entries["c:" + frame.client_id] = entry;
    entry.text.textContent = preview;
    entry.meta.textContent = "Sending\u2026";
    state.pending[frame.client_id] = frame;
    if (state.send) { state.send(frame); } else { connect(); }
    return null;
  }

  function submitComplaint(event) {
    event.preventDefault();
    var data = {};
    var missing = [];
    ["name", "contact", "what_happened", "desired_outcome"].forEach(function (name) {
      var control = ui.form.elements[name];
      data[name] = control.value.trim();
      control.setAttribute("aria-invalid", data[name] ? "false" : "true");
      if (!data[name]) { missing.push(control); }
    });
    if (missing.length) { ui.formError.textContent = "Please fill in every field."; missing[0].focus(); return; }
    var problem = sendFrame({ type: "complaint", client_id: newClientId(), form: data }, data.what_happened);
    if (problem) { ui.formError.textContent = problem; return; }
    ui.formError.textContent = "";
    ui.form.hidden = true;
    ui.log.hidden = ui.compose.hidden = false;
    ui.input.focus();
  }

  function submitMessage() {
    var text = ui.input.value.trim();
    if (!text) { return; }
    var problem = sendFrame({ type: "message", client_id: newClientId(), text: text }, text);
    if (problem) { setStatus(problem); return; }
    ui.input.value = "";
  }

  if (options.page || readStore(sessionStorage, OPEN_KEY)) { open(); }
})();

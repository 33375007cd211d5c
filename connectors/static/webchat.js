/* Web chat: sends the resident's text (or a pressed button's payload) to /api/chat and shows the
   replies, their quick-reply buttons and their sources. The bot answers through a queue: a POST
   returns the replies that came within a few seconds (or "pending"), and a long-poll on
   /api/chat/replies?after=<cursor> brings the rest and any answer staff send later. Every reply
   has a stream id; ids already shown are skipped, the highest is the cursor. The session token
   rendered in the page is sent as a header too, so an embedded page works where the browser
   blocks third-party cookies. Vanilla JS, no dependencies; every piece of text goes through
   textContent, never innerHTML. */
(function () {
  "use strict";

  var HISTORY_KEY = "edubot.webchat.history";
  var TOKEN_KEY = "edubot.webchat.session";
  var CURSOR_KEY = "edubot.webchat.cursor";
  var MAX_HISTORY = 200;
  var PENDING_GIVE_UP_MS = 120000;
  var chat = document.querySelector("main.chat");
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var typing = document.getElementById("chat-typing");
  var busy = false;
  var history = loadHistory();
  var token = stored(TOKEN_KEY) || chat.getAttribute("data-session") || "";
  var cursor = stored(CURSOR_KEY) || "";
  var seen = {};
  var waiting = {};
  var pollFailures = 0;
  remember(TOKEN_KEY, token);
  history.forEach(function (item) { if (item.id) seen[item.id] = true; });

  function stored(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (error) {
      return null;
    }
  }

  function remember(key, value) {
    try {
      window.sessionStorage.setItem(key, value);
    } catch (error) {
      /* storage disabled: this page view still works */
    }
  }

  /* Stream ids are "<milliseconds>-<sequence>"; true when a comes after b. */
  function after(a, b) {
    if (!b) return true;
    var x = a.split("-").map(Number), y = b.split("-").map(Number);
    return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
  }

  function advance(next) {
    if (typeof next === "string" && /^\d+-\d+$/.test(next) && after(next, cursor)) {
      cursor = next;
      remember(CURSOR_KEY, cursor);
    }
  }

  function headers() {
    var result = { "Accept": "application/json" };
    if (token) result["X-Chat-Session"] = token;
    return result;
  }

  function showReplies(messages) {
    messages.forEach(function (message) {
      if (message.id) {
        if (seen[message.id]) return;
        seen[message.id] = true;
        advance(message.id);
      }
      var meta = message.meta || {};
      add({
        who: "bot",
        id: message.id || null,
        text: message.text || "",
        quick_replies: message.quick_replies || [],
        sources: Array.isArray(meta.sources) ? meta.sources : []
      });
    });
  }

  function finished(ids) {
    ids.forEach(function (id) { delete waiting[id]; });
    if (busy && Object.keys(waiting).length === 0) setBusy(false);
  }

  /* The long-poll: waits on the server for new replies, forever, gently backing off on errors. */
  function poll() {
    var url = "/api/chat/replies" + (cursor ? "?after=" + encodeURIComponent(cursor) : "");
    fetch(url, { credentials: "same-origin", headers: headers() }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      pollFailures = 0;
      showReplies(Array.isArray(body.messages) ? body.messages : []);
      finished(Array.isArray(body.done) ? body.done : []);
      advance(body.cursor);
      window.setTimeout(poll, 50);
    }).catch(function () {
      pollFailures += 1;
      window.setTimeout(poll, Math.min(30000, 1000 * Math.pow(2, pollFailures)));
    });
  }

  function loadHistory() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (error) {
      return [];
    }
  }

  function saveHistory() {
    try {
      window.sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(-MAX_HISTORY)));
    } catch (error) {
      /* storage full or disabled: the conversation still works, it just is not restored */
    }
  }

  function newMessageId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    if (typeof url !== "string") return null;
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  function sourceLabel(source) {
    var parts = [source.title || "Tài liệu"];
    if (source.number) parts.push("số " + source.number);
    if (source.issued) parts.push("ngày " + formatDate(source.issued));
    if (source.section) parts.push(source.section);
    return parts.join(", ");
  }

  function formatDate(iso) {
    var match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso));
    return match ? match[3] + "/" + match[2] + "/" + match[1] : String(iso);
  }

  function sourceItem(source) {
    var item = el("li");
    var href = safeUrl(source.url);
    if (href) {
      var link = el("a", null, sourceLabel(source));
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      item.appendChild(link);
    } else {
      item.textContent = sourceLabel(source);
    }
    return item;
  }

  /* The first source is the one the answer quotes; the others are only related documents, so
     they are folded away rather than presented as citations. */
  function renderSources(sources) {
    var valid = sources.filter(function (s) { return s && typeof s === "object"; });
    var box = el("div", "msg__sources");
    if (!valid.length) return box;
    box.appendChild(el("p", "msg__sources-title", "Nguồn trích dẫn:"));
    var cited = el("ul", "msg__sources-list");
    cited.appendChild(sourceItem(valid[0]));
    box.appendChild(cited);
    if (valid.length > 1) {
      var more = el("details", "msg__related");
      more.appendChild(el("summary", null, "Tài liệu liên quan (" + (valid.length - 1) + ")"));
      var list = el("ul", "msg__sources-list");
      valid.slice(1).forEach(function (source) { list.appendChild(sourceItem(source)); });
      more.appendChild(list);
      box.appendChild(more);
    }
    return box;
  }

  function clearQuickReplies() {
    var groups = log.querySelectorAll(".quick-replies");
    Array.prototype.forEach.call(groups, function (group) {
      group.parentNode.removeChild(group);
    });
    history.forEach(function (item) { item.quick_replies = []; });
  }

  function renderQuickReplies(replies) {
    var group = el("div", "quick-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Gợi ý trả lời");
    replies.forEach(function (reply) {
      var button = el("button", "quick-replies__button", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        if (busy) return;
        send({ payload: reply.payload }, reply.title);
      });
      group.appendChild(button);
    });
    return group;
  }

  function render(item) {
    var row = el("div", "msg msg--" + item.who);
    var bubble = el("div", "msg__bubble");
    var who = { user: "Bạn", bot: "Trợ lý", system: "Thông báo" }[item.who] || "";
    bubble.appendChild(el("span", "visually-hidden", who + ": "));
    bubble.appendChild(el("p", "msg__text", item.text));
    if (item.sources && item.sources.length) bubble.appendChild(renderSources(item.sources));
    row.appendChild(bubble);
    if (item.quick_replies && item.quick_replies.length) {
      row.appendChild(renderQuickReplies(item.quick_replies));
    }
    if (item.retry) row.appendChild(renderRetry(item.retry));
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function renderRetry(request) {
    var group = el("div", "quick-replies");
    var button = el("button", "quick-replies__button", "Gửi lại");
    button.type = "button";
    button.addEventListener("click", function () {
      if (busy) return;
      group.parentNode.removeChild(group);
      post(request);
    });
    group.appendChild(button);
    return group;
  }

  function add(item, persist) {
    if (persist !== false) {
      history.push(item);
      saveHistory();
    }
    render(item);
  }

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    sendButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function post(request) {
    setBusy(true);
    var sendHeaders = headers();
    sendHeaders["Content-Type"] = "application/json";
    if (cursor) request.after = cursor;
    return fetch("/api/chat", {
      method: "POST",
      credentials: "same-origin",
      headers: sendHeaders,
      body: JSON.stringify(request)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }).then(function (result) {
      if (result.status === 200 && Array.isArray(result.body.messages)) {
        showReplies(result.body.messages);
        advance(result.body.cursor);
        if (result.body.pending) {
          /* The bot is still working: keep "typing" until the poll sees the end of it. */
          waiting[request.id] = true;
          window.setTimeout(function () { finished([request.id]); }, PENDING_GIVE_UP_MS);
        }
        return;
      }
      var detail = typeof result.body.detail === "string" ? result.body.detail
        : "Đã có lỗi xảy ra. Bạn vui lòng thử lại sau.";
      if (result.status === 503 && request.text) input.value = request.text;
      add({ who: "system", text: detail, retry: result.status >= 500 ? request : null }, false);
    }).catch(function () {
      if (request.text) input.value = request.text;
      add({
        who: "system",
        text: "Không kết nối được với máy chủ. Bạn kiểm tra mạng rồi thử lại nhé.",
        retry: request
      }, false);
    }).then(function () {
      if (!waiting[request.id]) setBusy(false);
      input.focus();
    });
  }

  function send(message, shownAs) {
    clearQuickReplies();
    var request = { id: newMessageId() };
    if (message.payload) request.payload = message.payload;
    else request.text = message.text;
    if (shownAs !== null) add({ who: "user", text: shownAs || message.text });
    return post(request);
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    var text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    input.value = "";
    autoGrow();
    send({ text: text });
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  input.addEventListener("input", autoGrow);

  /* In the iframe of embed.js: a close button for phones, where the frame covers the screen. */
  var closeButton = document.getElementById("chat-close");
  if (closeButton && window.parent !== window) {
    closeButton.hidden = false;
    closeButton.addEventListener("click", function () {
      window.parent.postMessage("edubot-webchat:close", "*");
    });
  }

  history.forEach(function (item) { render(item); });
  if (history.length === 0) send({ payload: "/greet" }, null);
  poll();
})();

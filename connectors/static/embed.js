/* Embeds the web chat in a school or commune website with one tag:

     <script src="https://CHAT-HOST/static/webchat/embed.js" defer></script>

   Optional attributes on that tag: data-title (button label, default "Hỏi đáp"), data-color
   (button colour), data-position ("right" or "left"). It adds a floating button; pressing it
   opens the chat page of CHAT-HOST in an iframe (a full-screen sheet on a phone). The chat
   host must list the website's origin in APP_WEBCHAT_FRAME_ANCESTORS, or the browser refuses
   to show the frame. Vanilla JS, no dependencies, nothing global except one guard flag. */
(function () {
  "use strict";

  if (window.__edubotWebchatEmbedded) return;
  window.__edubotWebchatEmbedded = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='/static/webchat/embed.js']");
    return all[all.length - 1];
  })();
  if (!script) return;
  var origin = new URL(script.src, window.location.href).origin;
  var title = script.getAttribute("data-title") || "Hỏi đáp";
  var color = script.getAttribute("data-color") || "#0b5cad";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var frame = null;
  var open = false;

  function css(node, rules) {
    Object.keys(rules).forEach(function (name) { node.style[name] = rules[name]; });
  }

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = title;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "edubot-webchat-frame");
  css(button, {
    position: "fixed", bottom: "16px", zIndex: "2147483000", padding: "12px 18px",
    minHeight: "48px", border: "0", borderRadius: "24px", background: color, color: "#ffffff",
    font: "600 16px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    boxShadow: "0 4px 14px rgba(0, 0, 0, 0.25)", cursor: "pointer"
  });
  button.style[side] = "16px";

  function layout() {
    if (!frame) return;
    var phone = window.matchMedia("(max-width: 520px)").matches;
    css(frame, phone
      ? { top: "0", bottom: "0", left: "0", right: "0", width: "100%", height: "100%",
          borderRadius: "0" }
      : { top: "auto", bottom: "76px", left: "auto", right: "auto", width: "380px",
          height: "min(620px, calc(100vh - 96px))", borderRadius: "14px" });
    if (!phone) frame.style[side] = "16px";
    button.style.display = phone && open ? "none" : "block";
  }

  function createFrame() {
    frame = document.createElement("iframe");
    frame.id = "edubot-webchat-frame";
    frame.title = "Trò chuyện hỏi đáp thông tin giáo dục";
    frame.src = origin + "/?embed=1";
    frame.setAttribute("allow", "clipboard-write");
    css(frame, {
      position: "fixed", zIndex: "2147483001", border: "1px solid #dde2e7",
      background: "#ffffff", boxShadow: "0 8px 30px rgba(0, 0, 0, 0.3)"
    });
    document.body.appendChild(frame);
  }

  function toggle(show) {
    open = show;
    if (show && !frame) createFrame();
    if (frame) frame.style.display = show ? "block" : "none";
    button.setAttribute("aria-expanded", show ? "true" : "false");
    button.textContent = show ? "Đóng" : title;
    layout();
  }

  button.addEventListener("click", function () { toggle(!open); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && open) {
      toggle(false);
      button.focus();
    }
  });
  /* The chat page asks to be closed (its close button on a phone) with a message. */
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data === "edubot-webchat:close") toggle(false);
  });
  window.addEventListener("resize", layout);

  function mount() { document.body.appendChild(button); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

// Web Push on the subscribe page: shown only where the browser can do it. It asks the
// service for its VAPID key, registers the service worker, subscribes, and hands the
// subscription to the API with the choices made in the form.
(function () {
  "use strict";
  var box = document.getElementById("push");
  var form = document.getElementById("subscribe");
  if (!box || !form || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  box.hidden = false;
  var status = document.getElementById("push-status");
  function key(b64) {
    var s = atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function values(name) {
    return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"), function (e) { return e.value; });
  }
  document.getElementById("push-button").addEventListener("click", function () {
    // Every sentence is the page's own, in its language: the browser's own error text
    // (English, and meant for developers) is never shown.
    status.textContent = status.dataset.working;
    Promise.all([
      fetch("/api/v1/push/vapid-public-key").then(function (r) { return r.json(); }),
      navigator.serviceWorker.register("/push-sw.js").then(function () { return navigator.serviceWorker.ready; })
    ]).then(function (got) {
      return got[1].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(got[0].key) });
    }).then(function (sub) {
      var body = { kind: "push", subscription: sub.toJSON(), lang: form.elements.lang.value };
      var incident = form.elements.incident;
      if (incident) { body.incident = Number(incident.value); } else {
        body.banks = values("banks"); body.channels = values("channels"); body.incident_kinds = values("incident_kinds");
      }
      return fetch("/api/v1/subscriptions?lang=" + document.documentElement.lang, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); });
    }).then(function (res) {
      status.textContent = res.ok ? status.dataset.done : (res.j.message || status.dataset.failed);
      if (res.ok) status.dataset.subscription = res.j.id;
    }).catch(function (e) {
      status.textContent = e && e.name === "NotAllowedError" ? status.dataset.denied : status.dataset.failed;
    });
  });
})();

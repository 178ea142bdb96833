// The service worker of bankstatus alerts: shows each push as a notification in the
// subscriber's language and opens the incident page when it is clicked.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "bankstatus", {
    body: data.body || "", tag: data.tag, lang: data.lang, dir: data.dir || "auto", data: { url: data.url || "/" }
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});

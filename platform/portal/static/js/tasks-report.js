// The report form on a phone: fills in the location, and keeps a report typed without a network
// as a draft in IndexedDB (more than one at a time, photo included), sending each draft when the
// network returns. Every draft carries its own idempotency key, so a draft sent twice (the
// answer lost on a weak network) still makes one task on the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-report]");
  if (!form) return;
  var DB = "gridgov-drafts", STORE = "reports";
  var keyField = form.querySelector("[name=idempotency_key]");
  var counter = document.querySelector("[data-testid=drafts]");

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  if (!keyField.value) keyField.value = newKey();

  // The grid the phone stands in is chosen for the reporter when it is one of theirs, and
  // named when it is someone else's, so that a report is not filed under the wrong grid.
  function suggestGrid(latitude, longitude) {
    var note = document.querySelector("[data-testid=located]");
    var select = form.querySelector("[name=node]");
    if (!note || !select || !window.fetch) return;
    var url = form.dataset.locate + "?lat=" + latitude + "&lng=" + longitude;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (grid) {
        if (!grid) return;
        var mine = grid.reports_here && select.querySelector('option[value="' + grid.id + '"]');
        if (mine) select.value = String(grid.id);
        note.textContent = (mine ? note.dataset.here : note.dataset.elsewhere) + grid.name;
        note.hidden = false;
      })
      .catch(function () {});
  }

  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (position) {
      var latitude = position.coords.latitude.toFixed(6);
      var longitude = position.coords.longitude.toFixed(6);
      form.querySelector("[name=latitude]").value = latitude;
      form.querySelector("[name=longitude]").value = longitude;
      suggestGrid(latitude, longitude);
    }, function () {}, { timeout: 10000, maximumAge: 60000 });
  }

  function open(then) {
    if (!window.indexedDB) return;
    var request = window.indexedDB.open(DB, 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore(STORE, { keyPath: "key" });
    };
    request.onsuccess = function () { then(request.result); };
  }

  function store(mode, work) {
    open(function (db) {
      var tx = db.transaction(STORE, mode);
      work(tx.objectStore(STORE), tx);
    });
  }

  function fields() {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") data[name] = value;
    });
    return data;
  }

  function showCount() {
    store("readonly", function (drafts) {
      var request = drafts.count();
      request.onsuccess = function () {
        counter.hidden = request.result === 0;
        counter.querySelector("[data-drafts-count]").textContent = request.result;
      };
    });
  }

  // Resolves true when the server took the draft (a new task, or the one it already made).
  function send(draft) {
    var body = new FormData();
    body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    Object.keys(draft.fields).forEach(function (name) {
      var value = draft.fields[name];
      if (value instanceof File) {
        if (value.size > 0) body.append(name, value, value.name);
      } else {
        body.append(name, value);
      }
    });
    return fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      // 422: the server refused the draft's content; it stays for the worker to see.
      .then(function (response) { return response.ok; })
      .catch(function () { return false; });
  }

  function forget(draft) {
    return new Promise(function (resolve) {
      store("readwrite", function (drafts, tx) {
        drafts.delete(draft.key);
        tx.oncomplete = resolve;
      });
    });
  }

  // One draft at a time, and one run at a time: the "online" event may fire twice.
  var sending = false;
  function sendDrafts() {
    if (!navigator.onLine || sending) return;
    sending = true;
    store("readonly", function (drafts) {
      var request = drafts.getAll();
      request.onsuccess = function () {
        request.result.reduce(function (previous, draft) {
          return previous.then(function () {
            return send(draft).then(function (taken) { return taken && forget(draft); });
          });
        }, Promise.resolve()).then(function () {
          sending = false;
          showCount();
        });
      };
    });
  }

  form.addEventListener("submit", function (event) {
    if (navigator.onLine || !window.indexedDB) return;
    event.preventDefault();
    var draft = { key: keyField.value, fields: fields(), at: Date.now() };
    store("readwrite", function (drafts, tx) {
      drafts.put(draft);
      tx.oncomplete = function () {
        form.reset();
        keyField.value = newKey();
        showCount();
      };
    });
  });

  window.addEventListener("online", sendDrafts);
  showCount();
  sendDrafts();

  if ("serviceWorker" in navigator && form.getAttribute("data-worker")) {
    navigator.serviceWorker.register(form.getAttribute("data-worker"), {
      scope: form.getAttribute("data-worker-scope")
    }).catch(function () {});
  }
})();

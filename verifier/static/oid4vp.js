// Polls the state of an OpenID4VP request and moves to the result once the wallet has answered.
(function () {
  "use strict";
  var status = document.getElementById("oid4vp-status");
  if (!status) { return; }
  var url = status.getAttribute("data-status-url");
  var resultUrl = status.getAttribute("data-result-url");
  var delay = 2000;
  function show(key) { status.textContent = status.getAttribute("data-" + key); }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 404 || response.status === 410) { show("expired"); return null; }
        return response.json();
      })
      .then(function (state) {
        if (!state) { return; }
        if (state.status === "answered") { window.location.assign(resultUrl); return; }
        if (state.status === "failed") { show("failed"); return; }
        if (state.status === "expired") { show("expired"); return; }
        if (state.status === "retrieved") { show("retrieved"); }
        if (state.status === "verifying") { show("answered"); }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, delay * 2); });
  }
  window.setTimeout(poll, delay);
})();

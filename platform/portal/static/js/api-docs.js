// Starts Swagger UI on /api/docs with the settings the page carries as JSON data, so that the
// page has no inline script and its Content-Security-Policy can refuse them all.
window.addEventListener("load", function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle(config);
});

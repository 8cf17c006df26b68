// Conditional fields of module forms: a field marked data-show-if="other" is shown only while
// field "other" has the value in data-show-value. The server applies the same rule (a hidden
// field is neither required nor stored), so this only saves the phone user some scrolling.
(function () {
  "use strict";
  function currentValues(form, name) {
    var values = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      if (input.value === "true") { values.push(true); }
      else if (input.value === "false") { values.push(false); }
      else { values.push(input.value); }
    });
    return values;
  }
  function update(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (field) {
      var wanted = JSON.parse(field.getAttribute("data-show-value"));
      var shown = currentValues(form, field.getAttribute("data-show-if")).indexOf(wanted) !== -1;
      field.hidden = !shown;
    });
  }
  document.querySelectorAll("form[data-form]").forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
